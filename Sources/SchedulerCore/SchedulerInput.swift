/// Something that happened, reported to the core by its host with the time it happened.
///
/// Every input is something a real serving runtime can observe too; the core never learns a
/// request's service time or a future arrival.
public enum SchedulerInput: Sendable, Equatable {
    /// The host is starting: the policy provisions its initial capacity.
    case start
    /// A request for a target arrived from a caller (id 0: none). The host chose the slot.
    case requestArrived(RequestID, target: TargetID, caller: CallerID = CallerID(0))
    /// The request finished its current stage on the instance it was dispatched to.
    case requestFinished(RequestID)
    /// The caller gave up on the request (its deadline passed). If it waits in a queue it
    /// leaves it; if it is being served, the instance finishes the work and the core releases
    /// the request then.
    case requestTimedOut(RequestID)
    /// An instance finished its cold start and can serve.
    case instanceReady(InstanceID)
    /// An instance is gone without being asked to stop: its worker process exited, or never
    /// became ready within its start timeout (a real runtime observes this; the simulator
    /// never does). Requests in service on it fail (`.reject(…, reason: .workerFailed)`), a
    /// request waiting for it alone queues again, and the policy may replace it.
    case instanceFailed(InstanceID)
    /// A node finished booting.
    case nodeReady(NodeID)
    /// A timer set with `setTimer` fired.
    case timerFired(TimerID)
    /// A training job was submitted: it waits until it holds its nodes.
    case jobSubmitted(JobID)
    /// A running training job finished its work: its nodes return to the pool.
    case jobFinished(JobID)
    /// A rollout reached one of its steps (`ClusterConfiguration.rollouts[rollout]`): a canary
    /// weight takes effect, or a blue-green deployment starts.
    case rolloutStep(rollout: Int, step: Int)
    /// The cloud will reclaim the (spot) node soon: nothing new is placed on it and the policy
    /// moves its instances elsewhere while the ones serving finish what they can.
    case nodeInterruptionNotice(NodeID)
    /// The cloud reclaimed the node: requests still in service on it are cut off (retried or
    /// failed), its instances and any training job on it stop, and the node is gone.
    case nodeInterrupted(NodeID)
    /// What an LLM model's engines report (vLLM's `vllm:kv_cache_usage_perc`,
    /// `vllm:num_requests_waiting` and the rate of `vllm:generation_tokens_total`, over its
    /// ready instances): the share of their KV cache in use (0–1), the requests they hold
    /// unscheduled, and the output tokens per second they generated together since the last
    /// report. An autoscaler scaling on them reads the last report.
    case engineMetrics(ModelID, kvCacheUsage: Double, waiting: Int, tokensPerSecond: Double = 0)
}
