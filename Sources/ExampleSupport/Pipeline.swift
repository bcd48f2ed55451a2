/// What the pipeline demos (`pipeline-ventilator`, `pipeline-worker`, `pipeline-sink`) agree on.
public enum Pipeline {
    /// The message the ventilator sends the sink when a batch starts: "0", as the Guide's
    /// C ventilator (taskvent.c) sends.
    ///
    /// Its content does not matter: the sink takes the first message it receives as the start
    /// signal, whatever it holds, as the Guide's C sink (tasksink.c) does. So the ventilator
    /// makes sure this message reaches the sink before any task can reach a worker.
    public static let startSignal = "0"
}
