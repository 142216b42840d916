/**
 * Accuracy inputs sent ahead of replies. A serial link is full duplex, and
 * tiny-bench firmware reads what arrives while it is busy (an inference, a
 * reply) into an RX buffer it advertises (`m-rx-buffer-[N]`), then runs the
 * commands strictly in order. So the host need not wait for a reply before
 * sending more: the next input goes up while the current one runs and its
 * reply comes back, and the wire carries input bytes without pause. The bytes
 * sent and not yet answered never exceed the advertised buffer, so none
 * can be dropped (fits()).
 *
 * Replies are read in order and each is checked as a command's own would be
 * (integrity line, m-bin-done with the block's CRC, the buffer's CRC after the
 * last bytes, the standard infer reply). At the first that is not what its
 * step expects — damage, a timeout, a reset, a lost link — every reply after
 * it is abandoned (it can no longer be matched to what was sent), and the
 * caller runs that input again on the sequential path after a
 * resynchronisation; results already checked are kept. Nothing here runs in
 * performance or energy mode: only accuracy runs call it.
 */
import { crc32 } from 'node:zlib';

import { ProtocolError } from '../errors.js';
import { frame } from '../protocol/commands.js';
import { type AheadStep, MIN_RX_BUFFER, planAhead, stepBytes } from '../protocol/overlap.js';
import { lapDeltaUs, parseExpecting, parseInferReply, parseLoadCrc } from '../protocol/replies.js';
import { checkBlockReply } from './binary-load.js';
import type { Dut, InferResult } from './dut.js';

/** Overlapped batches failing this many times in a row send the DUT back to one command at a time. */
export const OVERLAP_GIVE_UP = 3;

/** Whether inputs may be sent ahead of replies to this DUT over this link now. */
export function overlapUsable(dut: Dut): boolean {
  const identity = dut.identity;
  return (
    dut.overlapAllowed &&
    !dut.energyMode &&
    // The advertisement is the DUT's word that it buffers; standard firmware gives none.
    (identity?.rxBuffer ?? 0) >= MIN_RX_BUFFER &&
    dut.integrityChecked &&
    // An interface board relays one command at a time and buffers nothing for the DUT.
    dut.channel.link.maxCommandLength === undefined &&
    (dut.binaryUsable || !!identity?.features?.includes('db-at')) &&
    dut.overlapFailures < OVERLAP_GIVE_UP
  );
}

export interface AheadOutcome {
  /** Index of the first input without a result: every one before it was delivered to onResult. */
  next: number;
  /** Why it stopped before the inputs ran out; the caller resynchronises and runs input `next` sequentially. */
  failure?: Error;
}

interface Sent {
  index: number;
  step: AheadStep;
  data: Uint8Array;
  bytes: number;
  reply: Promise<string[]>;
  written: Promise<void>;
}

/**
 * Loads and infers `input(from)`, `input(from + 1)`, … until it returns
 * undefined, each input's exchanges sent as soon as the DUT's buffer has
 * room for them (fits()). `onResult` gets each result in order; an error it
 * throws (a wrong answer) stops the batch at that input like link damage.
 * Never throws for a failure of the DUT or the link: it returns it.
 */
export async function inferAhead(
  dut: Dut,
  input: (index: number) => Uint8Array | undefined,
  onResult: (index: number, result: InferResult) => void,
  from = 0,
): Promise<AheadOutcome> {
  const capacity = dut.identity!.rxBuffer!;
  const link = {
    binary: dut.binaryUsable,
    put: !!dut.identity?.features?.includes('db-put'),
    commandBuffer: dut.commandBuffer,
    rxBuffer: capacity,
  };
  const sent: Sent[] = [];
  let next = from;
  let plan: AheadStep[] = [];
  let planned: { index: number; data: Uint8Array } | undefined;
  let exhausted = false;
  /** The next step to send (planning the next input when the last one's are all sent). */
  const peek = (): AheadStep | undefined => {
    if (!plan.length && !exhausted) {
      const data = input(next);
      if (!data) exhausted = true;
      else {
        const steps = planAhead(data, link);
        if (!steps) throw new ProtocolError(`An RX buffer of ${capacity} bytes is too small to send inputs ahead`);
        plan = steps;
        planned = { index: next++, data };
      }
    }
    return plan[0];
  };
  let head: Sent | undefined;
  try {
    for (;;) {
      // Fill: everything that fits the DUT's buffer beside what may be waiting in it.
      for (let step = peek(); step && fits(sent, stepBytes(step), capacity); step = peek()) {
        plan.shift();
        sent.push(send(dut, step, planned!.index, planned!.data));
      }
      head = sent.shift();
      if (!head) return { next };
      const lines = await head.reply;
      const result = check(dut, head, lines);
      if (result) {
        onResult(head.index, result);
        dut.overlapFailures = 0;
      }
      head = undefined;
    }
  } catch (error) {
    // The input whose reply failed; or, when nothing was awaited, the first not yet sent in full.
    const failedAt = head?.index ?? sent[0]?.index ?? (plan.length ? planned!.index : next);
    await stop(dut, head ? [head, ...sent] : sent, error instanceof Error ? error : new Error(String(error)));
    return { next: failedAt, failure: error instanceof Error ? error : new Error(String(error)) };
  }
}

/**
 * Whether `bytes` more may go now: what is sent and not yet answered stays
 * within the DUT's buffer. (Only what arrives behind a running infer has to
 * wait in the buffer — during a load the DUT reads at the wire's rate — but
 * the bound is what the DUT promised, and no more is needed: within it two
 * blocks with their headers are always in flight (planAhead), which keeps
 * the wire busy. An unbounded stream once stalled after some 10 KB; that was
 * the host's write sleeping through its poller, fixed in polled-binding.ts.)
 */
function fits(sent: readonly Sent[], bytes: number, capacity: number): boolean {
  let unanswered = bytes;
  for (const s of sent) unanswered += s.bytes;
  return sent.length === 0 || unanswered <= capacity;
}

function send(dut: Dut, step: AheadStep, index: number, data: Uint8Array): Sent {
  const timeoutMs = step.kind === 'infer' ? dut.inferTimeoutMs(1, 0) : dut.commandTimeoutMs;
  const { written, reply } =
    step.kind === 'block'
      ? dut.channel.sendAhead(step.bytes, `<${step.bytes.length} raw bytes at ${step.offset}>`, `${step.bytes.length} raw bytes at ${step.offset}`, timeoutMs)
      : dut.channel.sendAhead(frame(step.text), step.text, `'${abbreviate(step.text)}'`, timeoutMs, step.kind === 'infer' ? dut.inferStartMs : undefined);
  return { index, step, data, bytes: stepBytes(step), reply, written };
}

/** The checks its sequential exchange would make; an infer's result. */
function check(dut: Dut, sent: Sent, raw: string[]): InferResult | undefined {
  const { step, data } = sent;
  switch (step.kind) {
    case 'load':
      parseExpecting(dut.checkReply(step.text, raw), step.length);
      return undefined;
    case 'header': {
      const lines = dut.checkReply(step.text, raw);
      if (!lines.includes('m-bin-ready')) throw new ProtocolError(`The DUT did not accept '${abbreviate(step.text)}'`, lines);
      return undefined;
    }
    case 'block':
      if (step.last) checkLoaded(checkBlockReply(raw, step.bytes), data);
      else checkBlockReply(raw, step.bytes);
      return undefined;
    case 'chunk': {
      const lines = dut.checkReply(step.text, raw);
      if (step.last) checkLoaded(lines, data);
      return undefined;
    }
    case 'infer': {
      const reply = parseInferReply(dut.checkReply(step.text, raw), 1, 0, false);
      const elapsedUs = lapDeltaUs(reply.laps[0]!, reply.laps[1]!, dut.inferTimeoutMs(1, 0) * 1000);
      dut.noteUsPerInference(elapsedUs);
      return { ...reply, elapsedUs };
    }
  }
}

/** After the last bytes: the load is complete and the DUT's buffer is this input. */
function checkLoaded(lines: string[], data: Uint8Array): void {
  if (!lines.includes('m-load-done')) throw new ProtocolError(`DUT did not report m-load-done after all ${data.length} bytes`, lines);
  const loaded = parseLoadCrc(lines);
  if (loaded !== crc32(data))
    throw new ProtocolError(`The DUT's copy of the ${data.length}-byte input differs from what was sent (buffer CRC mismatch)`, lines);
}

/**
 * Stops after a failure: every reply still due is abandoned, the writes are
 * let finish (bounded), and a DUT that may still wait for a block's raw
 * bytes is remembered to be owed them, so the resynchronisation that follows
 * (Dut.resynchronise, or the session's recovery) ends that block first.
 */
async function stop(dut: Dut, unanswered: readonly Sent[], error: Error): Promise<void> {
  dut.overlapFailures++;
  dut.overlapFallbacks++;
  dut.channel.abandonReplies(error);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled(unanswered.map((s) => s.written)),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, dut.commandTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
  // A header whose reply was lost may still have been taken: its block is owed too, sent or not.
  const owed = Math.max(0, ...unanswered.map((s) => (s.step.kind === 'block' ? s.step.bytes.length : s.step.kind === 'header' ? s.step.blockBytes : 0)));
  dut.binaryBytesOwed = Math.max(dut.binaryBytesOwed, owed);
  // Let the replies of what was already on its way arrive and pass as unsolicited lines.
  await dut.channel.settle(Math.min(dut.settleMs, 20), 2000);
}

function abbreviate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
