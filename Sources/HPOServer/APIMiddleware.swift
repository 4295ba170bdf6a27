import HPOCore
import Hummingbird
import Synchronization

/// Turns every error into a JSON answer (`APIError`), checks the token of requests that change anything, and
/// counts answers by status code for `/metrics`.
struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?
    let maxBodyBytes: Int
    let counters: RequestCounters

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let response: Response
        do {
            try authorize(request)
            response = try await next(request, context)
        } catch {
            let apiError = APIError.from(error, maxBodyBytes: maxBodyBytes)
            response = JSONResponse.make(.object(["error": .string(apiError.message)]), status: apiError.status)
        }
        counters.count(response.status.code)
        return response
    }

    /// Requests that change anything (every method but GET and HEAD) carry the token when one is set, as
    /// `Authorization: Bearer TOKEN`.
    private func authorize(_ request: Request) throws {
        guard let token, request.method != .get, request.method != .head else { return }
        let sent = request.headers[.authorization].flatMap { header -> Substring? in
            let prefix = "Bearer "
            return header.hasPrefix(prefix) ? header.dropFirst(prefix.count) : nil
        }
        guard let sent else {
            throw APIError(.unauthorized, "this request changes the daemon's state: send Authorization: Bearer TOKEN")
        }
        guard Self.constantTimeEqual(Array(sent.utf8), Array(token.utf8)) else {
            throw APIError(.unauthorized, "the token is wrong")
        }
    }

    /// Compares without stopping at the first difference, so timing does not reveal a prefix of the token.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference: UInt8 = a.count == b.count ? 0 : 1
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}

/// Answers by status code since the daemon started.
final class RequestCounters: Sendable {
    private let counts = Mutex<[Int: Int]>([:])

    func count(_ code: Int) {
        counts.withLock { $0[code, default: 0] += 1 }
    }

    var snapshot: [Int: Int] { counts.withLock { $0 } }
}
