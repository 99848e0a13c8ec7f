/**
 * Packet groups for the delay-based detector (after GCC's inter-arrival filter): packets sent within
 * GROUP_SPAN_MS of a group's first packet form one group (a frame, or a pacer burst), and so does a packet
 * that arrives within BURST_ARRIVAL_MS of the previous one while its delay went down (a burst that a queue
 * released at once). Each completed group yields the deltas to the previous one: send time, arrival time and
 * size. Arrival times are on the receiver's clock; only their differences matter.
 */

/** Packets sent within this span of a group's first packet belong to it. */
const GROUP_SPAN_MS = 5;
/** A packet arriving this close after the previous one with a negative delay variation joins its group. */
const BURST_ARRIVAL_MS = 5;
/** A burst group lasts at most this long. */
const MAX_BURST_MS = 100;
/** An arrival gap this much larger than the send gap means the receiver's clock jumped: start over. */
const ARRIVAL_JUMP_MS = 3000;
/** After this many groups arriving out of order in a row, start over. */
const MAX_REORDERED_GROUPS = 3;

interface Group {
  firstSendTime: number;
  /** The latest send time in the group. */
  sendTime: number;
  firstArrival: number;
  /** The latest arrival in the group. */
  arrival: number;
  size: number;
  /** Local time the group's last packet was processed (to detect receiver clock jumps). */
  localTime: number;
}

export interface GroupDeltas {
  sendDelta: number;
  arrivalDelta: number;
  sizeDelta: number;
}

export class InterArrival {
  private current: Group | undefined;
  private previous: Group | undefined;
  private reordered = 0;
  /** Times it started over (a clock jump or persistent reordering). */
  resets = 0;

  /**
   * One received packet, in arrival order: its send time (our clock), arrival time (the receiver's clock),
   * size and the local time now. Returns the deltas between the two previous groups when this packet
   * completed one, else undefined.
   */
  add(sendTime: number, arrival: number, size: number, localTime: number): GroupDeltas | undefined {
    const current = this.current;
    if (!current) {
      this.current = newGroup(sendTime, arrival, size, localTime);
      return undefined;
    }
    if (sendTime < current.firstSendTime) return undefined; // out of order relative to the group: skip
    let deltas: GroupDeltas | undefined;
    if (this.startsNewGroup(current, sendTime, arrival)) {
      const previous = this.previous;
      if (previous) {
        const sendDelta = current.sendTime - previous.sendTime;
        const arrivalDelta = current.arrival - previous.arrival;
        const localDelta = current.localTime - previous.localTime;
        if (arrivalDelta - localDelta >= ARRIVAL_JUMP_MS) {
          this.reset();
          this.current = newGroup(sendTime, arrival, size, localTime);
          return undefined;
        }
        if (arrivalDelta < 0) {
          if (++this.reordered >= MAX_REORDERED_GROUPS) this.reset();
          this.current = newGroup(sendTime, arrival, size, localTime);
          return undefined;
        }
        this.reordered = 0;
        deltas = { sendDelta, arrivalDelta, sizeDelta: current.size - previous.size };
      }
      this.previous = current;
      this.current = newGroup(sendTime, arrival, size, localTime);
      return deltas;
    }
    current.sendTime = Math.max(current.sendTime, sendTime);
    current.arrival = Math.max(current.arrival, arrival);
    current.size += size;
    current.localTime = localTime;
    return undefined;
  }

  private startsNewGroup(group: Group, sendTime: number, arrival: number): boolean {
    if (this.belongsToBurst(group, sendTime, arrival)) return false;
    return sendTime - group.firstSendTime > GROUP_SPAN_MS;
  }

  private belongsToBurst(group: Group, sendTime: number, arrival: number): boolean {
    const arrivalDelta = arrival - group.arrival;
    const sendDelta = sendTime - group.sendTime;
    if (sendDelta === 0) return true;
    const delayVariation = arrivalDelta - sendDelta;
    return (
      delayVariation < 0 && arrivalDelta <= BURST_ARRIVAL_MS && arrival - group.firstArrival < MAX_BURST_MS
    );
  }

  private reset(): void {
    this.current = undefined;
    this.previous = undefined;
    this.reordered = 0;
    this.resets++;
  }
}

function newGroup(sendTime: number, arrival: number, size: number, localTime: number): Group {
  return { firstSendTime: sendTime, sendTime, firstArrival: arrival, arrival, size, localTime };
}
