import Foundation
import HPOCore

extension SeededGenerator {
    /// A standard normal draw (Box-Muller, one draw per two uniforms).
    mutating func nextGaussian() -> Double {
        let u1 = max(nextUnit(), 1e-300)
        let u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
