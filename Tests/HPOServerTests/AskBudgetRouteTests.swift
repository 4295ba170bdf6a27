import Foundation
import HPOCore
import HPOServer
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct AskBudgetRouteTests {
    @Test func askBeyondTheBudgetIsAConflictThatNamesTheBudget() async throws {
        try await TestDaemon().test { client in
            let created = try await client.call(.post, "/studies", text: Studies.external("small", nTrials: 2))
            #expect(created.status == .created)
            var numbers: [Int] = []
            for _ in 0..<2 {
                let asked = try await client.call(.post, "/studies/small/ask")
                #expect(asked.status == .created)
                numbers.append(try #require(asked.json["trial"]?.intValue))
            }
            #expect(numbers == [0, 1])
            let refused = try await client.call(.post, "/studies/small/ask")
            #expect(refused.status == .conflict)
            let message = try #require(refused.json["error"]?.stringValue)
            #expect(message.contains("budget of 2 trials"), "\(message)")
            // Finishing trials frees nothing: the budget counts trials started.
            let told = try await client.call(
                .post, "/studies/small/trials/0/tell", json: .object(["value": .number(1)]))
            #expect(told.status == .ok)
            #expect(try await client.call(.post, "/studies/small/ask").status == .conflict)
            let study = try await client.call(.get, "/studies/small")
            #expect(study.json["progress"]?["counted"]?.intValue == 2)
        }
    }
}
