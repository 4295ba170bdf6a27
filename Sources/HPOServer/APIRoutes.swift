import Foundation
import HPOCore
import HPORuntime
import HPOStorage
import Hummingbird

/// The endpoints, each a thin translation between HTTP and the study manager.
struct APIRoutes: Sendable {
    let manager: StudyManager
    let maxBodyBytes: Int
    let counters: RequestCounters

    /// `limit` of a trial page when none is given, and the largest one allowed.
    static let defaultPageSize = 100
    static let maxPageSize = 1000

    func register(on router: Router<BasicRequestContext>) {
        router.get("healthz") { _, _ in try await self.health() }
        router.get("metrics") { _, _ in try await self.metrics() }
        router.get("studies") { _, _ in try await self.listStudies() }
        router.post("studies") { request, _ in try await self.submit(request) }
        router.get("studies/:name") { _, context in
            JSONResponse.make(APIJSON.study(try await manager.overview(of: try name(context)), detailed: true))
        }
        router.post("studies/:name/pause") { _, context in
            try await control(context) { try await manager.pause($0) }
        }
        router.post("studies/:name/resume") { _, context in
            try await control(context) { try await manager.resume($0) }
        }
        router.post("studies/:name/stop") { _, context in
            try await control(context) { try await manager.stop($0) }
        }
        router.get("studies/:name/best") { _, context in
            let study = try name(context)
            guard let best = try await manager.best(of: study) else {
                throw APIError(.notFound, "study '\(study)' has no COMPLETE trial yet")
            }
            return JSONResponse.make(APIJSON.trial(best))
        }
        router.get("studies/:name/trials") { request, context in try await trials(request, context) }
        router.get("studies/:name/trials/:number") { _, context in
            JSONResponse.make(APIJSON.trial(try await manager.trial(try number(context), of: try name(context))))
        }
        router.post("studies/:name/ask") { request, context in try await ask(request, context) }
        router.post("studies/:name/trials/:number/heartbeat") { _, context in
            try await manager.heartbeat(try name(context), trial: try number(context))
            return JSONResponse.make(.object(["trial": .integer(try number(context)), "state": .string("RUNNING")]))
        }
        router.post("studies/:name/trials/:number/report") { request, context in
            try await report(request, context)
        }
        router.post("studies/:name/trials/:number/tell") { request, context in
            try await tell(request, context)
        }
    }

    // MARK: Studies

    private func health() async throws -> Response {
        let snapshot = manager.metrics.snapshot
        return JSONResponse.make(
            .object([
                "status": .string("ok"),
                "studies_loaded": .integer(manager.loadedStudies.count),
                "uptime_s": .number(snapshot.uptime),
                "workers": .integer(manager.trainerPool.threadCount),
            ]))
    }

    private func listStudies() async throws -> Response {
        let overviews = try await manager.overviews()
        return JSONResponse.make(.object(["studies": .array(overviews.map { APIJSON.study($0, detailed: false) })]))
    }

    /// `POST /studies`: a study definition as the body, YAML (any content type but JSON) or JSON. With JSON, the
    /// body is either the study itself or `{"study": TEXT_OR_OBJECT, "overrides": [...], "study_file": PATH,
    /// "allow_change": BOOL}`; otherwise overrides come as repeated `override=` query parameters, the file as
    /// `study_file=` and `allow_change=true`.
    private func submit(_ request: Request) async throws -> Response {
        let text = try await BodyReader.text(request, limit: maxBodyBytes)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.badRequest("the body is empty: send a study definition (YAML or JSON)")
        }
        var submission = StudySubmission(
            text: text,
            overrides: request.uri.queryParameters.getAll("override").map { String($0) },
            studyFile: request.uri.queryParameters.get("study_file"),
            allowChange: request.uri.queryParameters.get("allow_change") == "true")
        if BodyReader.isJSON(request) {
            let object = try BodyReader.object(text)
            if let study = object["study"] {
                switch study {
                case .string(let definition): submission.text = definition
                case .object: submission.text = study.jsonText
                default: throw APIError.badRequest("\"study\" must be the study's YAML text or a JSON object")
                }
                if let overrides = object["overrides"] {
                    guard case .array(let items) = overrides, let texts = Optional(items.compactMap(\.stringValue)),
                        texts.count == items.count
                    else {
                        throw APIError.badRequest(
                            "\"overrides\" must be a list of strings such as \"budget.n_trials=20\"")
                    }
                    submission.overrides += texts
                }
                if let allow = object["allow_change"] {
                    guard case .bool(let flag) = allow else {
                        throw APIError.badRequest("\"allow_change\" must be true or false")
                    }
                    submission.allowChange = flag
                }
                if let file = object["study_file"] {
                    guard let path = file.stringValue else {
                        throw APIError.badRequest("\"study_file\" must be a path (a string)")
                    }
                    submission.studyFile = path
                }
            }
        }
        let result = try await manager.submit(submission)
        let status: HTTPResponse.Status = result.outcome == .created ? .created : .ok
        return JSONResponse.make(
            .object([
                "name": .string(result.name), "outcome": .string(result.outcome.rawValue),
                "status": .string(result.status.rawValue), "warnings": .array(result.warnings.map(JSONValue.string)),
                "url": .string("/studies/\(result.name)"),
            ]),
            status: status)
    }

    private func control(
        _ context: BasicRequestContext, _ action: (String) async throws -> StudyStatus
    ) async throws -> Response {
        let study = try name(context)
        let status = try await action(study)
        return JSONResponse.make(.object(["name": .string(study), "status": .string(status.rawValue)]))
    }

    // MARK: Trials

    private func trials(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var states: Set<TrialState>?
        if let text = query.get("state") {
            var parsed = Set<TrialState>()
            for part in text.split(separator: ",") {
                guard let state = TrialState(rawValue: part.uppercased()) else {
                    throw APIError.badRequest(
                        "state: '\(part)' is not a trial state; expected complete, pruned, fail, running or waiting")
                }
                parsed.insert(state)
            }
            states = parsed
        }
        let offset = try integer(query.get("offset"), name: "offset", default: 0, range: 0...Int.max)
        let limit = try integer(
            query.get("limit"), name: "limit", default: Self.defaultPageSize, range: 1...Self.maxPageSize)
        let page = try await manager.trials(of: try name(context), states: states, offset: offset, limit: limit)
        return JSONResponse.make(
            .object([
                "total": .integer(page.total), "offset": .integer(page.offset), "limit": .integer(page.limit),
                "trials": .array(page.trials.map(APIJSON.trial)),
            ]))
    }

    /// An optional `{"heartbeat": true}` → `{"trial": N, "params": {...}}`, with `"heartbeat": {"interval",
    /// "grace_period"}` (seconds) when the client promised heartbeats.
    private func ask(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try BodyReader.object(try await BodyReader.text(request, limit: maxBodyBytes))
        let heartbeat: Bool
        switch body["heartbeat"] {
        case nil, .null?: heartbeat = false
        case .bool(let flag)?: heartbeat = flag
        default: throw APIError.badRequest("\"heartbeat\" must be true or false")
        }
        let study = try name(context)
        let trial = try await manager.ask(study, heartbeat: heartbeat)
        var answer = APIJSON.asked(trial)
        if heartbeat, case .object(var members) = answer {
            let retry = try await manager.spec(of: study).retry
            members["heartbeat"] = .object([
                "interval": .number(retry.heartbeatInterval), "grace_period": .number(retry.gracePeriod),
            ])
            answer = .object(members)
        }
        return JSONResponse.make(answer, status: .created)
    }

    /// `{"step": INT, "value": NUMBER}` → `{"decision": "continue" | "prune"}`.
    private func report(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try BodyReader.object(try await BodyReader.text(request, limit: maxBodyBytes))
        guard case .integer(let step)? = body["step"], step >= 0 else {
            throw APIError.badRequest("\"step\" must be an integer >= 0")
        }
        guard let value = body["value"]?.doubleValue else {
            throw APIError.badRequest("\"value\" must be a number")
        }
        let decision = try await manager.report(try name(context), trial: try number(context), step: step, value: value)
        return JSONResponse.make(.object(["decision": .string(decision.rawValue)]))
    }

    /// `{"value": NUMBER, "state": "complete" | "pruned" | "fail", "user_attrs": {...}}` → the finished trial.
    private func tell(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try BodyReader.object(try await BodyReader.text(request, limit: maxBodyBytes))
        var value: Double?
        switch body["value"] {
        case nil, .null?: value = nil
        case let number? where number.doubleValue != nil: value = number.doubleValue
        default: throw APIError.badRequest("\"value\" must be a number or null")
        }
        let state: TrialState
        switch body["state"] {
        case nil, .null?: state = .complete
        case .string(let text)?:
            guard let parsed = TrialState(rawValue: text.uppercased()), parsed.isFinished else {
                throw APIError.badRequest(
                    "\"state\": '\(text)' is not a final state; expected complete, pruned or fail")
            }
            state = parsed
        default: throw APIError.badRequest("\"state\" must be complete, pruned or fail")
        }
        var userAttributes: [String: JSONValue] = [:]
        switch body["user_attrs"] {
        case nil, .null?: break
        case .object(let members)?: userAttributes = members
        default: throw APIError.badRequest("\"user_attrs\" must be an object")
        }
        if state == .complete, value == nil {
            throw APIError.badRequest("a complete trial needs \"value\" (or send \"state\": \"pruned\" or \"fail\")")
        }
        let trial = try await manager.tell(
            try name(context), trial: try number(context), state: state, value: value, userAttributes: userAttributes)
        return JSONResponse.make(APIJSON.trial(trial))
    }

    // MARK: Metrics

    private func metrics() async throws -> Response {
        let overviews = try await manager.overviews()
        let text = PrometheusText.render(
            overviews: overviews, runtime: manager.metrics.snapshot, poolThreads: manager.trainerPool.threadCount,
            poolBusy: manager.trainerPool.busyThreads, waitingStudies: manager.share.waiting,
            requests: counters.snapshot)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: Parameters

    private func name(_ context: BasicRequestContext) throws -> String {
        guard let name = context.parameters.get("name"), !name.isEmpty else {
            throw APIError.badRequest("the study name is missing from the path")
        }
        return name.removingPercentEncoding ?? name
    }

    private func number(_ context: BasicRequestContext) throws -> Int {
        let text = context.parameters.get("number") ?? ""
        guard let number = Int(text), number >= 0 else {
            throw APIError.badRequest("the trial number must be an integer >= 0, got '\(text)'")
        }
        return number
    }

    private func integer(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            let upper = range.upperBound == Int.max ? "" : " and <= \(range.upperBound)"
            throw APIError.badRequest("\(name) must be an integer >= \(range.lowerBound)\(upper), got '\(text)'")
        }
        return number
    }
}

/// Reading request bodies.
enum BodyReader {
    /// The body as UTF-8 text, at most `limit` bytes (413 beyond).
    static func text(_ request: Request, limit: Int) async throws -> String {
        let buffer = try await request.body.collect(upTo: limit)
        return String(buffer: buffer)
    }

    static func isJSON(_ request: Request) -> Bool {
        request.headers[.contentType]?.lowercased().contains("json") ?? false
    }

    /// The body as a JSON object; an empty body is an empty object.
    static func object(_ text: String) throws -> [String: JSONValue] {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return [:] }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text)
        } catch {
            throw APIError.badRequest("the body is not valid JSON: \(error)")
        }
        guard case .object(let members) = value else {
            throw APIError.badRequest("the body must be a JSON object")
        }
        return members
    }
}
