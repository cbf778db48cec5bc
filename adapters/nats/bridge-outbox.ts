/**
 * Publishes made in one turn of the event loop, sent together on the next
 * (`setImmediate`). The NATS client writes to its socket once per microtask
 * checkpoint, so requests and replies that each come from a different socket
 * read would each cost a write system call; gathered here, a busy node makes
 * one write per loop turn instead. Only while busy (other requests in flight,
 * or messages just received whose answers or follow-ups are still being
 * made): a lone request goes at once, as the hop to the next turn would add to
 * its latency what it saves nobody.
 *
 * Why "just received" counts as busy: when a read brings several messages,
 * the first publish their handling makes would otherwise go at once, alone,
 * ahead of the rest still a few promise steps behind it. That splits a batch
 * of calls in flight into a single and the rest, and the split lasts: every
 * later round trip then costs each side two writes instead of one (the bench
 * counted half the requests per write that Moleculer's transporter gets).
 *
 * @example
 * const outbox = new BridgeOutbox();
 * outbox.received(); // a message came in: what it causes in this turn goes together
 * outbox.send(() => connection.publish(subject, data), othersInFlight > 0);
 */
export class BridgeOutbox {
  #queued: (() => void)[] = [];
  #scheduled = false;
  /** Messages that came in during this turn: with more than one, publishes wait for the turn's end, with whatever else they cause. */
  #receivedThisTurn = 0;

  /** A message came in: if another did in this turn, publishes until it ends go together. */
  received(): void {
    // One message alone (a caller's sequential requests) is answered at once: the wait would be all latency.
    // The count starts again when the turn ends (the flush), so the first one schedules that.
    if (this.#receivedThisTurn++ === 0) this.#schedule();
  }

  send(publish: () => void, busy: boolean): void {
    // After what is queued, never before it: a reply must not overtake an earlier one.
    if (!busy && this.#receivedThisTurn < 2 && this.#queued.length === 0) return quietly(publish);
    this.#queued.push(publish);
    this.#schedule();
  }

  /** Sends what is queued now (also at stop, so nothing queued is lost). */
  flush(): void {
    this.#scheduled = false;
    this.#receivedThisTurn = 0;
    const queued = this.#queued;
    this.#queued = [];
    for (const publish of queued) quietly(publish);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }
}

/**
 * Runs a publish or a respond that may meet a connection closed under it: that
 * must not throw into a bus subscriber (an unhandled error there ends the
 * process). The request then times out, or the requester hears it from its own link.
 */
export function quietly(send: () => void): void {
  try {
    send();
  } catch {
    // See above: nothing to do but let the other side's time limit or link tell it.
  }
}
