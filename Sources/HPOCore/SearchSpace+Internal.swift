extension SearchSpace {
    /// The internal values and distributions of an assignment's parameters, as a trial stores them
    /// (parameters absent from the assignment, or outside their domain, are left out).
    public func internalParameters(of assignment: Assignment) -> (
        params: [String: Double], distributions: [String: Distribution]
    ) {
        var params: [String: Double] = [:]
        var distributions: [String: Distribution] = [:]
        for spec in parameters {
            if let value = assignment[spec.name], let internalValue = spec.distribution.internalValue(of: value) {
                params[spec.name] = internalValue
                distributions[spec.name] = spec.distribution
            }
        }
        return (params, distributions)
    }
}
