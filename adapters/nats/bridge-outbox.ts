/**
 * Publishes made in one turn of the event loop, sent together on the next
 * (`setImmediate`). The NATS client writes to its socket once per microtask
 * checkpoint, so requests and replies that each come from a different socket
 * read would each cost a write system call; gathered here, a busy node makes
 * one write per loop turn instead. Only while busy (other requests in flight):
 * a lone request goes at once, as the hop to the next turn would add to its
 * latency what it saves nobody.
 *
 * @example
 * const outbox = new BridgeOutbox();
 * outbox.send(() => connection.publish(subject, data), othersInFlight > 0);
 */
export class BridgeOutbox {
  #queued: (() => void)[] = [];
  #scheduled = false;

  send(publish: () => void, busy: boolean): void {
    // After what is queued, never before it: a reply must not overtake an earlier one.
    if (!busy && this.#queued.length === 0) return publish();
    this.#queued.push(publish);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what is queued now (also at stop, so nothing queued is lost). */
  flush(): void {
    this.#scheduled = false;
    const queued = this.#queued;
    this.#queued = [];
    for (const publish of queued) {
      try {
        publish();
      } catch {
        // A closed connection: the request times out or the requester hears it from its own link.
      }
    }
  }
}
