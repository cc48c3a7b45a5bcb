/** One line a container wrote, with the time it was written. */
export interface PodLogLine {
  /** RFC 3339 time with nanoseconds, as the kubelet stamps it. */
  time: string;
  /** The line without its newline. */
  text: string;
}

/** Where the API server reads container logs from (the pod runner). */
export interface PodLogSource {
  /** Lines written so far, or undefined when the container never ran. */
  lines(
    namespace: string,
    pod: string,
    container: string,
  ): PodLogLine[] | undefined;
  /**
   * Calls `onLine` for every new line until the container ends, then `onEnd`; returns a function
   * that stops following. Calls `onEnd` at once if the container is not running.
   */
  follow(
    namespace: string,
    pod: string,
    container: string,
    onLine: (line: PodLogLine) => void,
    onEnd: () => void,
  ): () => void;
}

/** A log source with no logs (for an API server without a pod runner). */
export const noPodLogs: PodLogSource = {
  lines: () => undefined,
  follow: (_ns, _pod, _container, _onLine, onEnd) => {
    onEnd();
    return () => {};
  },
};
