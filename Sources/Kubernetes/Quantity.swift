/// Kubernetes resource quantities (`500m`, `2`, `4Gi`, `1.5e3`), read and written as the API
/// server does.
///
/// The grammar is `resource.Quantity`'s (k8s.io/apimachinery `pkg/api/resource/quantity.go`):
/// an optional sign, a decimal number, then one suffix — a binary SI one (`Ki`, `Mi`, `Gi`,
/// `Ti`, `Pi`, `Ei`), a decimal SI one (`n`, `u`, `m`, ``, `k`, `M`, `G`, `T`, `P`, `E`) or a
/// decimal exponent (`e3`, `E-2`). Anything else (`500x`, `1.5.3Gi`) is not a quantity.
public enum Quantity {
    /// The value of `text`, or nil when it is not a quantity.
    public static func parse(_ text: String) -> Double? {
        var s = Substring(text)
        guard !s.isEmpty else { return nil }
        var sign = 1.0
        if s.first == "+" || s.first == "-" {
            if s.first == "-" { sign = -1 }
            s = s.dropFirst()
        }
        // The number: digits, at most one point, at least one digit.
        var end = s.startIndex
        var digits = 0, points = 0
        while end < s.endIndex, s[end].isASCII, s[end].isNumber || s[end] == "." {
            if s[end] == "." { points += 1 } else { digits += 1 }
            end = s.index(after: end)
        }
        guard digits > 0, points <= 1, let number = Double(s[s.startIndex..<end]) else { return nil }
        let suffix = s[end...]
        let binary: [Substring: Double] = ["Ki": 0x1p10, "Mi": 0x1p20, "Gi": 0x1p30, "Ti": 0x1p40, "Pi": 0x1p50, "Ei": 0x1p60]
        let decimal: [Substring: Double] = ["n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18]
        if let f = binary[suffix] { return sign * number * f }
        if let f = decimal[suffix] { return sign * number * f }
        // A decimal exponent: e or E, an optional sign, digits.
        guard let first = suffix.first, first == "e" || first == "E" else { return nil }
        var exponent = suffix.dropFirst()
        var negative = false
        if exponent.first == "+" || exponent.first == "-" { negative = exponent.first == "-"; exponent = exponent.dropFirst() }
        guard !exponent.isEmpty, exponent.allSatisfy({ $0.isASCII && $0.isNumber }), let e = Int(exponent), e <= 308 else { return nil }
        var scale = 1.0
        for _ in 0..<e { scale *= 10 }
        return sign * (negative ? number / scale : number * scale)
    }

    /// CPUs as the API server writes them: whole cores as `2`, others in millicores (`500m`).
    /// Kubernetes keeps CPU to the millicore, so finer values are rounded to it.
    public static func cpu(_ vcpus: Double) -> String {
        let milli = Int64((vcpus * 1000).rounded())
        return milli % 1000 == 0 ? "\(milli / 1000)" : "\(milli)m"
    }

    /// Memory in binary units: `4Gi`, `512Mi`, else `Ki` or bytes, whichever is exact.
    public static func memory(gib: Double) -> String {
        let bytes = gib * 0x1p30
        for (suffix, unit) in [("Gi", 0x1p30), ("Mi", 0x1p20), ("Ki", 0x1p10)] {
            let n = bytes / unit
            if n == n.rounded(), abs(n) < 1e15 { return "\(Int64(n))\(suffix)" }
        }
        return "\(Int64(bytes.rounded()))"
    }

    /// A count or a rate as a quantity: whole numbers plain, others in thousandths (`2500m`),
    /// the form the API server gives a `target.averageValue`.
    public static func value(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return "\(Int64(x))" }
        return "\(Int64((x * 1000).rounded()))m"
    }
}
