import SchedulerCore
import Scenario

// Requests that share one worker process. An instance held below its requests' threads
// (`cpu.instanceThreads`, a Python worker's GIL) shares that process between them as a fluid;
// calibration takes the model's service times from the requests that had their process to
// themselves, and compares the service times of those that did not with the simulated ones
// (`PlanResult.sharedService`): where the sharing is modelled, that is where it shows.

extension Simulation {
    /// Request `r` begins its service on instance `i`, whose requests share one process;
    /// `alongside`: another is in service on it.
    mutating func markService(_ r: Int, on i: Int, alongside: Bool) {
        if r >= serviceMarks.count { serviceMarks.append(contentsOf: repeatElement(ServiceMark(), count: r + 1 - serviceMarks.count)) }
        if i >= instanceServiceStarts.count {
            instanceServiceStarts.append(contentsOf: repeatElement(0, count: i + 1 - instanceServiceStarts.count))
        }
        serviceMarks[r] = ServiceMark(began: now, starts: instanceServiceStarts[i], shared: alongside)
        instanceServiceStarts[i] &+= 1
    }

    /// Request `r`'s service on instance `i` ends: recorded in its model's shared service
    /// times when another request was in service beside it at some moment of it (in service
    /// when it began, or begun since), as calibration tells the measured requests apart.
    mutating func bookSharedService(_ r: Int, on i: Int) {
        guard r < serviceMarks.count, i < instanceServiceStarts.count else { return }
        let mark = serviceMarks[r]
        guard mark.shared || instanceServiceStarts[i] &- mark.starts > 1 else { return }
        sharedService[Int(inst[i].model)].record(now - mark.began)
    }
}
