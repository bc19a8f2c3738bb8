import type { Random } from '../../../workload/random.ts';

/**
 * When a shopper acts: bursts of clicks (sessions) separated by breaks, some shorter than the
 * views' session gap (the next burst continues the same session) and most longer (a new one).
 */
export interface SessionTiming {
  /** Mean time from the start of one burst to the start of the next. */
  readonly cycleMs: number;
  /** Mean time between two events of one burst. */
  readonly clickMeanMs: number;
  /** Chance that a burst ends after each event (mean events per burst = 1 / endChance). */
  readonly endChance: number;
  /** Chance that a break is shorter than the session gap. */
  readonly shortBreakChance: number;
  /** Short breaks are uniform in [shortBreakMinMs, sessionGapMs). */
  readonly shortBreakMinMs: number;
  readonly sessionGapMs: number;
  /** Long breaks are the session gap plus an exponential extra with this mean. */
  readonly longBreakExtraMeanMs: number;
}

const EVENTS_PER_BURST = 8;
const PREFERRED_CLICK_MS = 20_000;
const SHORT_BREAK_CHANCE = 0.3;

/**
 * Chooses click and break times so that `users` shoppers together send about `events` records
 * over `spanMs`: a shopper's mean cycle (one burst plus one break) must then last
 * users * eventsPerBurst * spanMs / events. When there are too few users for the rate, breaks
 * cannot stay long; the generator then still keeps the order of actions, with times compressed.
 */
export function calibrateSessionTiming(users: number, events: number, spanMs: number, sessionGapMs: number): SessionTiming {
  const cycleMs = (users * EVENTS_PER_BURST * spanMs) / events;
  // Bursts take at most half of a cycle, and clicks are at least 200 ms apart.
  const clickMeanMs = Math.max(200, Math.min(PREFERRED_CLICK_MS, cycleMs / 2 / (EVENTS_PER_BURST - 1)));
  const breakMeanMs = cycleMs - (EVENTS_PER_BURST - 1) * clickMeanMs;
  const shortBreakMinMs = Math.min(60_000, Math.floor(sessionGapMs / 2));
  const shortMean = (shortBreakMinMs + sessionGapMs) / 2;
  const longMean = (breakMeanMs - SHORT_BREAK_CHANCE * shortMean) / (1 - SHORT_BREAK_CHANCE);
  return {
    cycleMs,
    clickMeanMs,
    endChance: 1 / EVENTS_PER_BURST,
    shortBreakChance: SHORT_BREAK_CHANCE,
    shortBreakMinMs,
    sessionGapMs,
    longBreakExtraMeanMs: Math.max(1_000, longMean - sessionGapMs),
  };
}

/** Time from one event of a shopper to the next, and whether a break (end of burst) came between. */
export function nextActionDelay(rng: Random, t: SessionTiming): { delayMs: number; newBurst: boolean; longBreak: boolean } {
  if (!rng.chance(t.endChance)) return { delayMs: Math.round(rng.exponential(t.clickMeanMs)), newBurst: false, longBreak: false };
  if (rng.chance(t.shortBreakChance)) {
    return { delayMs: rng.int(t.shortBreakMinMs, t.sessionGapMs - 1), newBurst: true, longBreak: false };
  }
  return { delayMs: t.sessionGapMs + 1 + Math.round(rng.exponential(t.longBreakExtraMeanMs)), newBurst: true, longBreak: true };
}
