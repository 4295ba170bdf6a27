import Foundation
import HPOCore
import Testing

@testable import HPOConfig

@Suite struct PrunedTrialsKeyTests {
    private func spec(sampler: String) throws -> StudySpec {
        try StudyLoader().load(
            yaml: "name: t\ndirection: minimize\nsampler: \(sampler)\nspace: {x: {type: float, low: 0, high: 1}}",
            file: "t.yaml"
        ).spec
    }

    @Test func aStudyWithoutTheKeyUsesOptunasRuleAndItsDefinitionDoesNotNameIt() throws {
        let spec = try spec(sampler: "{type: tpe}")
        guard case .tpe(let options) = spec.sampler.kind else {
            Issue.record("not a TPE sampler")
            return
        }
        #expect(options.prunedTrials == nil && options.resolvedPrunedTrials == .optuna)
        guard case .object(let root) = spec.definitionJSON, case .object(let sampler)? = root["sampler"] else {
            Issue.record("the definition has no sampler object")
            return
        }
        #expect(sampler["pruned_trials"] == nil)
        #expect(sampler["adaptive"] == .bool(true))
    }

    @Test(arguments: TPEPrunedTrials.allCases)
    func theKeySurvivesTheStoredDefinition(rule: TPEPrunedTrials) throws {
        let spec = try spec(sampler: "{type: tpe, adaptive: false, pruned_trials: \(rule.rawValue)}")
        guard case .tpe(let options) = spec.sampler.kind else {
            Issue.record("not a TPE sampler")
            return
        }
        #expect(options.prunedTrials == rule)
        #expect(options.resolvedPrunedTrials == rule)
        #expect(try StudySpec(definitionJSON: spec.definitionJSON) == spec)
    }
}
