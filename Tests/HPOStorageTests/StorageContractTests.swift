import Foundation
import HPOCore
import HPOStorage
import Testing

/// The behaviour every `StudyStorage` must have: each test runs against the in-memory and the SQLite storage.
@Suite("Storage contract")
struct StorageContractTests {
    @Test(arguments: StorageKind.allCases)
    func createsFindsListsAndDeletesStudies(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let first = try storage.createStudy(
            name: "first", direction: .minimize, systemAttributes: ["hpo:v": .integer(1)])
        let second = try storage.createStudy(name: "second", direction: .maximize, systemAttributes: [:])
        #expect(first.id != second.id)
        #expect(try storage.study(named: "first") == first)
        #expect(try storage.study(named: "second")?.direction == .maximize)
        #expect(try storage.study(named: "third") == nil)
        #expect(try storage.allStudies().map(\.name) == ["first", "second"])
        #expect(throws: StorageError.studyExists("first")) {
            try storage.createStudy(name: "first", direction: .maximize, systemAttributes: [:])
        }
        _ = try storage.createTrial(in: first.id, newTrial(["x": 1]))
        try storage.deleteStudy(first.id)
        #expect(try storage.study(named: "first") == nil)
        #expect(try storage.trials(in: first.id, states: nil).isEmpty)
        #expect(try storage.allStudies().map(\.name) == ["second"])
    }

    @Test(arguments: StorageKind.allCases)
    func numbersTrialsDenselyWithinEachStudy(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let a = try storage.createStudy(name: "a", direction: .minimize, systemAttributes: [:])
        let b = try storage.createStudy(name: "b", direction: .minimize, systemAttributes: [:])
        var numbersA: [Int] = []
        var numbersB: [Int] = []
        for index in 0..<7 {
            numbersA.append(try storage.createTrial(in: a.id, newTrial()).number)
            if index % 2 == 0 { numbersB.append(try storage.createTrial(in: b.id, newTrial()).number) }
        }
        #expect(numbersA == Array(0..<7))
        #expect(numbersB == Array(0..<4))
        #expect(try storage.trials(in: a.id, states: nil).map(\.number) == Array(0..<7))
        let ids = try storage.trials(in: a.id, states: nil).map(\.id)
        #expect(Set(ids).count == 7)
        #expect(try storage.trial(number: 3, in: a.id)?.id == ids[3])
        #expect(try storage.trial(number: 7, in: a.id) == nil)
        #expect(try storage.countTrials(in: b.id, states: nil) == 4)
    }

    @Test(arguments: StorageKind.allCases)
    func keepsParametersOfEveryDistributionKindExactly(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let study = try storage.createStudy(name: "space", direction: .minimize, systemAttributes: [:])
        var params: [String: Double] = [:]
        var distributions: [String: Distribution] = [:]
        for entry in everyDistribution {
            let internalValue: Double = try #require(entry.distribution.internalValue(of: entry.value))
            params[entry.name] = internalValue
            distributions[entry.name] = entry.distribution
        }
        let created = try storage.createTrial(in: study.id, NewTrial(params: params, distributions: distributions))
        let read = try #require(try storage.trial(created.id))
        #expect(read.params == params)
        #expect(read.distributions == distributions)
        #expect(read == created)
        for entry in everyDistribution {
            #expect(read.assignment[entry.name] == entry.value, "\(entry.name)")
        }
        #expect(read.params["opt"] == 2)
        #expect(read.params["flag"] == 1)
    }

    @Test(arguments: StorageKind.allCases)
    func storesFiniteAndInfiniteValuesAndNaNIntermediates(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let study = try storage.createStudy(name: "values", direction: .minimize, systemAttributes: [:])
        let finals: [(TrialState, Double?)] = [
            (.complete, 2.26), (.complete, .infinity), (.complete, -.infinity), (.pruned, 2.034), (.fail, nil),
            (.fail, .nan),
        ]
        var ids: [TrialID] = []
        for (state, value) in finals {
            let trial = try storage.createTrial(in: study.id, newTrial())
            try storage.recordReport(step: 0, value: .nan, systemAttributes: [:], of: trial.id)
            try storage.recordReport(step: 1, value: -.infinity, systemAttributes: [:], of: trial.id)
            try storage.recordReport(step: 2, value: 4.25, systemAttributes: [:], of: trial.id)
            try storage.finishTrial(trial.id, state: state, value: value, userAttributes: [:])
            ids.append(trial.id)
        }
        let trials = try storage.trials(in: study.id, states: nil)
        #expect(trials.map(\.state) == finals.map(\.0))
        #expect(trials[0].value == 2.26)
        #expect(trials[1].value == .infinity)
        #expect(trials[2].value == -.infinity)
        #expect(trials[3].value == 2.034)
        #expect(trials[4].value == nil)
        #expect(trials[5].value == nil)
        for trial in trials {
            #expect(trial.intermediateValues.count == 3)
            #expect(trial.intermediateValues[0]?.isNaN == true)
            #expect(trial.intermediateValues[1] == -.infinity)
            #expect(trial.intermediateValues[2] == 4.25)
            #expect(trial.datetimeComplete != nil)
        }
    }

    @Test(arguments: StorageKind.allCases)
    func keepsTheFirstValueOfAStepReportedTwice(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let study = try storage.createStudy(name: "twice", direction: .minimize, systemAttributes: [:])
        let trial = try storage.createTrial(in: study.id, newTrial())
        try storage.recordReport(
            step: 5, value: 1.5, systemAttributes: ["completed_rung_0": .number(1.5)], of: trial.id)
        try storage.recordReport(step: 5, value: 9.0, systemAttributes: ["completed_rung_1": .number(9)], of: trial.id)
        let read = try #require(try storage.trial(trial.id))
        #expect(read.intermediateValues == [5: 1.5])
        #expect(read.systemAttributes == ["completed_rung_0": .number(1.5), "completed_rung_1": .number(9)])
    }

    @Test(arguments: StorageKind.allCases)
    func finishesATrialOnlyOnceAndOnlyWithAValueWhenComplete(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let study = try storage.createStudy(name: "once", direction: .minimize, systemAttributes: [:])
        let trial = try storage.createTrial(in: study.id, newTrial(["x": 1]))
        #expect(throws: StorageError.self) {
            try storage.finishTrial(trial.id, state: .complete, value: .nan, userAttributes: [:])
        }
        #expect(throws: StorageError.self) {
            try storage.finishTrial(trial.id, state: .complete, value: nil, userAttributes: [:])
        }
        #expect(try storage.trial(trial.id)?.state == .running)
        fixture.clock.advance(by: 2.5)
        try storage.finishTrial(trial.id, state: .complete, value: 1, userAttributes: ["note": .string("done")])
        #expect(throws: StorageError.trialNotRunning(number: 0, state: .complete)) {
            try storage.finishTrial(trial.id, state: .fail, value: nil, userAttributes: [:])
        }
        #expect(throws: StorageError.trialNotRunning(number: 0, state: .complete)) {
            try storage.recordReport(step: 1, value: 1, systemAttributes: [:], of: trial.id)
        }
        let read = try #require(try storage.trial(trial.id))
        #expect(read.state == .complete)
        #expect(read.value == 1)
        #expect(read.userAttributes["note"] == .string("done"))
        #expect(read.duration == 2.5)
        #expect(throws: StorageError.self) {
            try storage.finishTrial(9999, state: .complete, value: 1, userAttributes: [:])
        }
    }

    @Test(arguments: StorageKind.allCases, [StudyDirection.minimize, .maximize])
    func ordersTheBestTrialAsOptunaDoes(kind: StorageKind, direction: StudyDirection) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let study = try storage.createStudy(name: "best", direction: direction, systemAttributes: [:])
        #expect(try storage.bestTrial(in: study.id) == nil)
        // A pruned trial with an extreme value and a running trial never count.
        let results: [(TrialState, Double?)] = [
            (.complete, 3), (.pruned, -100), (.pruned, 100), (.complete, 1), (.complete, 5), (.complete, 1),
            (.fail, nil),
        ]
        for (state, value) in results {
            let trial = try storage.createTrial(in: study.id, newTrial())
            try storage.finishTrial(trial.id, state: state, value: value, userAttributes: [:])
        }
        _ = try storage.createTrial(in: study.id, newTrial())
        let best = try #require(try storage.bestTrial(in: study.id))
        // Ties go to the lower number.
        #expect(best.number == (direction == .minimize ? 3 : 4))
        // Infinities rank at the ends.
        let infinite = try storage.createTrial(in: study.id, newTrial())
        try storage.finishTrial(infinite.id, state: .complete, value: -.infinity, userAttributes: [:])
        let other = try storage.createTrial(in: study.id, newTrial())
        try storage.finishTrial(other.id, state: .complete, value: .infinity, userAttributes: [:])
        let bestNow = try #require(try storage.bestTrial(in: study.id))
        #expect(bestNow.value == (direction == .minimize ? -.infinity : .infinity))
        let history = TrialHistory(direction: direction, trials: try storage.trials(in: study.id, states: nil))
        #expect(history.bestTrial?.id == bestNow.id)
    }

    @Test(arguments: StorageKind.allCases)
    func roundTripsStudyAndTrialAttributes(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let nested: JSONValue = .object([
            "a": .integer(1), "b": .array([.number(0.1), .string("é\"\n"), .null, .bool(true)]),
            "c": .number(1e-05), "inf": .number(.infinity),
        ])
        let study = try storage.createStudy(name: "attributes", direction: .minimize, systemAttributes: [:])
        try storage.setStudyUserAttribute("owner", .string("team"), of: study.id)
        try storage.setStudySystemAttribute("hpo:definition", nested, of: study.id)
        try storage.setStudyUserAttribute("owner", .string("other team"), of: study.id)
        let record = try #require(try storage.study(named: "attributes"))
        #expect(record.userAttributes == ["owner": .string("other team")])
        #expect(record.systemAttributes == ["hpo:definition": nested])

        let trial = try storage.createTrial(
            in: study.id,
            NewTrial(userAttributes: ["note": nested], systemAttributes: ["fixed_params": .object(["x": .number(1.5)])])
        )
        try storage.setTrialUserAttributes(["note": .integer(2), "more": .string("yes")], of: trial.id)
        try storage.setTrialSystemAttributes(["retry_history": .array([.integer(0)])], of: trial.id)
        let read = try #require(try storage.trial(trial.id))
        #expect(read.userAttributes == ["note": .integer(2), "more": .string("yes")])
        #expect(
            read.systemAttributes == [
                "fixed_params": .object(["x": .number(1.5)]), "retry_history": .array([.integer(0)]),
            ])
        #expect(throws: StorageError.self) { try storage.setStudyUserAttribute("k", .null, of: 999) }
        #expect(throws: StorageError.self) { try storage.setTrialUserAttributes(["k": .null], of: 999) }
    }

    @Test(arguments: StorageKind.allCases)
    func findsTrialsWhoseHeartbeatIsStale(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let clock = fixture.clock
        let study = try storage.createStudy(name: "beats", direction: .minimize, systemAttributes: [:])
        let beating = try storage.createTrial(in: study.id, newTrial())
        let silent = try storage.createTrial(in: study.id, newTrial())
        let finished = try storage.createTrial(in: study.id, newTrial())
        try storage.recordHeartbeat(of: beating.id)
        try storage.recordHeartbeat(of: finished.id)
        try storage.finishTrial(finished.id, state: .complete, value: 1, userAttributes: [:])
        let start = clock.now
        clock.advance(by: 60)
        try storage.recordHeartbeat(of: beating.id)
        // The silent trial counts by its start time; the finished one never counts.
        #expect(try storage.staleTrials(in: study.id, heartbeatBefore: start).isEmpty)
        let stale = try storage.staleTrials(in: study.id, heartbeatBefore: start.addingTimeInterval(30))
        #expect(stale.map(\.id) == [silent.id])
        clock.advance(by: 60)
        let both = try storage.staleTrials(in: study.id, heartbeatBefore: clock.now)
        #expect(both.map(\.id) == [beating.id, silent.id])
        #expect(throws: StorageError.self) { try storage.recordHeartbeat(of: 4242) }
    }

    @Test(arguments: StorageKind.allCases)
    func claimsTheOldestWaitingTrial(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let study = try storage.createStudy(name: "queue", direction: .minimize, systemAttributes: [:])
        #expect(try storage.claimWaitingTrial(in: study.id) == nil)
        let fixed: JSONValue = .object(["x": .number(1.5)])
        let first = try storage.createTrial(
            in: study.id, NewTrial(state: .waiting, systemAttributes: ["fixed_params": fixed]))
        let second = try storage.createTrial(in: study.id, NewTrial(state: .waiting))
        #expect(first.datetimeStart == nil)
        fixture.clock.advance(by: 10)
        let claimed = try #require(try storage.claimWaitingTrial(in: study.id))
        #expect(claimed.id == first.id)
        #expect(claimed.number == 0)
        #expect(claimed.state == .running)
        #expect(claimed.datetimeStart == fixture.clock.now)
        #expect(claimed.systemAttributes["fixed_params"] == fixed)
        #expect(try storage.claimWaitingTrial(in: study.id)?.id == second.id)
        #expect(try storage.claimWaitingTrial(in: study.id) == nil)
        #expect(try storage.countTrials(in: study.id, states: [.running]) == 2)
    }

    @Test(arguments: StorageKind.allCases)
    func readsNewAndRefreshedTrialsAfterACursor(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let study = try storage.createStudy(name: "cursor", direction: .minimize, systemAttributes: [:])
        let other = try storage.createStudy(name: "other", direction: .minimize, systemAttributes: [:])
        var trials: [Trial] = []
        for _ in 0..<5 {
            trials.append(try storage.createTrial(in: study.id, newTrial()))
            _ = try storage.createTrial(in: other.id, newTrial())
        }
        let cursor = trials[2].id
        try storage.finishTrial(trials[1].id, state: .complete, value: 1, userAttributes: [:])
        let read = try storage.trials(in: study.id, after: cursor, refreshing: [trials[1].id])
        #expect(read.map(\.number) == [1, 3, 4])
        #expect(read.first?.state == .complete)
        #expect(try storage.trials(in: study.id, after: trials[4].id, refreshing: []).isEmpty)
        #expect(try storage.trials(in: study.id, after: 0, refreshing: []).count == 5)
        #expect(try storage.trials(in: study.id, states: [.complete]).map(\.number) == [1])
        #expect(try storage.countTrials(in: study.id, states: [.running]) == 4)
        #expect(try storage.countTrials(in: study.id, states: []) == 0)
    }

    @Test(arguments: StorageKind.allCases)
    func finishesWithSystemAttributesInOneCallAndReturnsTheTrial(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let study = try storage.createStudy(name: "reasons", direction: .minimize, systemAttributes: [:])
        let trial = try storage.createTrial(in: study.id, newTrial(["x": 2]))
        try storage.recordReport(step: 3, value: 0.5, systemAttributes: [:], of: trial.id)
        fixture.clock.advance(by: 1)
        let failed = try storage.finishTrial(
            trial.id, state: .fail, value: 0.5, userAttributes: ["u": .integer(1)],
            systemAttributes: ["fail_reason": .string("worker lost")])
        #expect(failed.state == .fail)
        #expect(failed.value == nil)
        #expect(failed.systemAttributes == ["fail_reason": .string("worker lost")])
        #expect(failed.userAttributes == ["u": .integer(1)])
        #expect(failed.intermediateValues == [3: 0.5])
        #expect(failed.duration == 1)
        #expect(try storage.trial(trial.id) == failed)
        #expect(throws: StorageError.trialNotRunning(number: 0, state: .fail)) {
            try storage.finishTrial(
                trial.id, state: .complete, value: 1, userAttributes: [:], systemAttributes: ["k": .null])
        }
        #expect(try storage.trial(trial.id)?.systemAttributes["k"] == nil)
    }

    @Test(arguments: StorageKind.allCases)
    func refusesTrialsItCouldNotStoreAsOptunaDoes(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let study = try storage.createStudy(name: "refusals", direction: .minimize, systemAttributes: [:])
        let distribution = Distribution.float(FloatDistribution(low: 0, high: 1))
        let refused = [
            NewTrial(state: .complete),
            NewTrial(params: ["x": 0.5]),
            NewTrial(params: ["x": .nan], distributions: ["x": distribution]),
            NewTrial(params: ["x": .infinity], distributions: ["x": distribution]),
        ]
        for trial in refused {
            #expect(throws: StorageError.self) { try storage.createTrial(in: study.id, trial) }
        }
        #expect(throws: StorageError.self) { try storage.createTrial(in: 999, NewTrial()) }
        #expect(try storage.countTrials(in: study.id, states: nil) == 0)
        let running = try storage.createTrial(in: study.id, NewTrial())
        #expect(throws: StorageError.self) {
            try storage.finishTrial(running.id, state: .waiting, value: nil, userAttributes: [:])
        }
        #expect(try storage.createTrial(in: study.id, NewTrial(state: .pruned)).number == 1)
    }

    @Test(arguments: StorageKind.allCases)
    func startsTrialsWithinTheBudgetCountingAFailedTrialAndItsRetriesOnce(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let study = try storage.createStudy(name: "budget", direction: .minimize, systemAttributes: [:])
        let enqueued = try storage.createTrial(in: study.id, NewTrial(state: .waiting))
        let proposal = NewTrial(params: ["x": 1.5], distributions: ["x": .float(FloatDistribution(low: 0, high: 2))])
        // The enqueued WAITING trial starts first, then proposals, until the budget of 3 is used.
        let first = try #require(try storage.startTrial(in: study.id, proposal, budget: 3))
        #expect(first.id == enqueued.id)
        #expect(first.state == .running)
        let second = try #require(try storage.startTrial(in: study.id, proposal, budget: 3))
        #expect(second.params == ["x": 1.5])
        _ = try #require(try storage.startTrial(in: study.id, proposal, budget: 3))
        #expect(try storage.startTrial(in: study.id, proposal, budget: 3) == nil)
        #expect(try storage.budgetedTrialCount(in: study.id) == 3)
        _ = try storage.createTrial(in: study.id, NewTrial(state: .waiting))

        // Failing with a retry adds a WAITING copy that may start above the budget and is not counted again.
        let outcome = try storage.failTrial(
            second.id,
            TrialFailure(systemAttributes: ["fail_reason": .string("worker lost")], retry: second.retryCopy()))
        guard case .failed(let retry?) = outcome else {
            Issue.record("expected a failure with a retry, got \(outcome)")
            return
        }
        #expect(retry.state == .waiting)
        #expect(retry.number == 4)
        #expect(retry.params == second.params)
        #expect(retry.retriedTrialNumber == second.number)
        #expect(try storage.trial(second.id)?.systemAttributes["fail_reason"] == .string("worker lost"))
        #expect(try storage.budgetedTrialCount(in: study.id) == 3)
        let restarted = try #require(try storage.startTrial(in: study.id, proposal, budget: 3))
        #expect(restarted.id == retry.id)
        #expect(try storage.budgetedTrialCount(in: study.id) == 3)
        // The enqueued trial made after the budget was used does not start.
        #expect(try storage.startTrial(in: study.id, proposal, budget: 3) == nil)
        #expect(try storage.failTrial(second.id, TrialFailure()) == .notRunning)
    }

    @Test(arguments: StorageKind.allCases)
    func failsAStaleTrialOnlyWhenItsHeartbeatIsOlderThanTheCutoff(kind: StorageKind) throws {
        let fixture = try StorageFixture(kind)
        defer { fixture.cleanUp() }
        let storage = fixture.storage
        let clock = fixture.clock
        let study = try storage.createStudy(name: "stale", direction: .minimize, systemAttributes: [:])
        let trial = try storage.createTrial(in: study.id, newTrial(["x": 1]))
        clock.advance(by: 30)
        try storage.recordHeartbeat(of: trial.id)
        let beat = clock.now
        clock.advance(by: 30)
        #expect(try storage.failTrial(trial.id, TrialFailure(onlyIfHeartbeatBefore: beat)) == .alive)
        #expect(try storage.trial(trial.id)?.state == .running)
        let outcome = try storage.failTrial(trial.id, TrialFailure(onlyIfHeartbeatBefore: beat.addingTimeInterval(1)))
        #expect(outcome == .failed(retry: nil))
        let failed = try #require(try storage.trial(trial.id))
        #expect(failed.state == .fail)
        #expect(failed.datetimeComplete == clock.now)
        #expect(try storage.staleTrials(in: study.id, heartbeatBefore: clock.now).isEmpty)
    }
}
