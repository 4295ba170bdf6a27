import HPOConfig
import HPOCore
import HPORuntime
import HPOStorage
import HPOTraining
import Hummingbird

/// An error the API answers with: an HTTP status and a JSON body `{"error": "..."}` that says what was wrong.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(.object(["error": .string(message)]), status: status)
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }

    /// The API's answer to any error thrown while handling a request.
    static func from(_ error: any Error, maxBodyBytes: Int) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as ManagerError:
            switch error {
            case .studyNotFound, .trialNotFound: return APIError(.notFound, error.description)
            case .trialNotRunning, .invalidState, .noStoredDefinition:
                return APIError(.conflict, error.description)
            case .invalidRequest: return APIError(.badRequest, error.description)
            case .shuttingDown: return APIError(.serviceUnavailable, error.description)
            }
        case let error as StorageError:
            switch error {
            case .studyNotFound, .trialNotFound: return APIError(.notFound, error.description)
            case .trialNotRunning, .studyExists: return APIError(.conflict, error.description)
            default: return APIError(.internalServerError, error.description)
            }
        case let error as DefinitionChangeError:
            return APIError(.conflict, error.description)
        case let error as StudyDefinitionError:
            return APIError(.unprocessableContent, error.description)
        case let error as TrainingError:
            return APIError(.unprocessableContent, error.description)
        case let error as RuntimeError:
            switch error {
            case .directionMismatch, .budgetUsed: return APIError(.conflict, error.description)
            case .notAFinalState: return APIError(.badRequest, error.description)
            default: return APIError(.internalServerError, error.description)
            }
        case let error as HTTPError:
            if error.status == .notFound {
                return APIError(.notFound, error.body ?? "no such endpoint")
            }
            if error.status == .contentTooLarge {
                return APIError(.contentTooLarge, "the request body is larger than \(maxBodyBytes) bytes")
            }
            return APIError(error.status, error.body ?? error.status.reasonPhrase)
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return APIError(.contentTooLarge, "the request body is larger than \(maxBodyBytes) bytes")
        case let error as any HTTPResponseError:
            return APIError(error.status, "\(error)")
        default:
            return APIError(.internalServerError, "\(error)")
        }
    }
}

/// JSON responses.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText + "\n")))
    }
}
