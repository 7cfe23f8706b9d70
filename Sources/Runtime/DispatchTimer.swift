import Dispatch

enum DispatchTimer {
    /// Runs `body` on a global queue after `seconds`.
    static func after(seconds: Double, _ body: @escaping @Sendable () -> Void) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(max(0, seconds) * 1e9)), execute: body)
    }
}
