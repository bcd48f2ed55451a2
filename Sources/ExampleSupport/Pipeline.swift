/// What the pipeline demos (`pipeline-ventilator`, `pipeline-worker`, `pipeline-sink`) agree on.
public enum Pipeline {
    /// The message the ventilator sends the sink when a batch starts. Results are the
    /// workloads as decimal text, so they never equal it.
    public static let startSignal = "start"
}
