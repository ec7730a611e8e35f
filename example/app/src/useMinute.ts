import { useEffect, useState } from "react";

const MINUTE = 60_000;

/**
 * The start of the current minute, changing once a minute. Windows built on
 * it keep a query's arguments stable within the minute (README "Live
 * dashboards: pass a rounded window"): the query re-runs when data changes,
 * and when the minute turns.
 */
export function useMinute(): number {
  const [minute, setMinute] = useState(() => Math.floor(Date.now() / MINUTE) * MINUTE);
  useEffect(() => {
    const timer = setTimeout(() => setMinute(Math.floor(Date.now() / MINUTE) * MINUTE), minute + MINUTE - Date.now() + 50);
    return () => clearTimeout(timer);
  }, [minute]);
  return minute;
}

/** The last millisecond of the current minute: the window's end, so events logged this minute count at once. */
export const endOfMinute = (minute: number) => minute + MINUTE - 1;
