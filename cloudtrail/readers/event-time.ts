/**
 * `Date.parse(s)` for event times, with CloudTrail's own form `YYYY-MM-DDTHH:MM:SSZ` read as the hour's
 * milliseconds (Date.parse'd once per hour and kept) plus minutes and seconds: a million Date.parse calls were a
 * visible share of a cold load. Every other string goes to Date.parse, and so does every string of an hour whose
 * first string Date.parse did not read the same way (an hour it refuses, or reads by its legacy rules).
 */

const hours = new Map<string, number>();

const digit = (s: string, i: number) => {
  const d = s.charCodeAt(i) - 0x30;
  return d >= 0 && d <= 9 ? d : -1000;
};

/** `YYYY-MM-DDTHH:MM:SSZ` with every digit a digit. */
function isCloudTrailForm(s: string): boolean {
  if (s.length !== 20) return false;
  for (let i = 0; i < 19; i++) {
    const c = s.charCodeAt(i);
    const want = i === 4 || i === 7 ? 0x2d : i === 10 ? 0x54 : i === 13 || i === 16 ? 0x3a : -1;
    if (want >= 0 ? c !== want : c < 0x30 || c > 0x39) return false;
  }
  return s.charCodeAt(19) === 0x5a;
}

export function eventTime(s: string): number {
  if (!isCloudTrailForm(s)) return Date.parse(s);
  const minutes = digit(s, 14) * 10 + digit(s, 15);
  const seconds = digit(s, 17) * 10 + digit(s, 18);
  if (minutes > 59 || seconds > 59) return Date.parse(s);
  const hour = s.slice(0, 13);
  let ms = hours.get(hour);
  if (ms === undefined) {
    ms = Date.parse(`${hour}:00:00Z`);
    // Kept only when Date.parse reads this string as the hour plus its minutes and seconds.
    if (Date.parse(s) !== ms + minutes * 60_000 + seconds * 1000) ms = NaN;
    if (hours.size >= 100_000) hours.clear();
    hours.set(hour, ms);
  }
  return Number.isNaN(ms) ? Date.parse(s) : ms + minutes * 60_000 + seconds * 1000;
}

/** Hour start (ms) by the hour's digits as a number (YYYYMMDDHH), for `eventTimeAt`; NaN when Date.parse disagrees. */
const hoursByNumber = new Map<number, number>();
let lastHour = -1;
let lastHourMs = NaN;

/** Decodes bytes of the file being read into the string JSON.parse would give (a ScannedFile). */
export interface TextDecoder {
  text(start: number, end: number): string;
}

/**
 * `eventTime` of the string written as bytes `[start, end)` of `b` without escapes (`d` decodes them): the
 * CloudTrail form is read from the bytes, so no string is made per event (nor a closure: `d` is the file's).
 */
export function eventTimeAt(b: Uint8Array, start: number, end: number, d: TextDecoder): number {
  if (end - start !== 20 || b[start + 19] !== 0x5a) return eventTime(d.text(start, end));
  let hour = 0;
  for (let i = 0; i < 19; i++) {
    const c = b[start + i];
    const want = i === 4 || i === 7 ? 0x2d : i === 10 ? 0x54 : i === 13 || i === 16 ? 0x3a : -1;
    if (want >= 0) {
      if (c !== want) return eventTime(d.text(start, end));
    } else if (c < 0x30 || c > 0x39) return eventTime(d.text(start, end));
    else if (i < 13) hour = hour * 10 + c - 0x30;
  }
  const minutes = (b[start + 14] - 0x30) * 10 + b[start + 15] - 0x30;
  const seconds = (b[start + 17] - 0x30) * 10 + b[start + 18] - 0x30;
  if (minutes > 59 || seconds > 59) return eventTime(d.text(start, end));
  // A file's records are mostly of one hour: the last hour is kept beside the map, and written only when it
  // changes (module variables hold numbers this large boxed: a write per event was an allocation per event).
  let ms: number | undefined;
  if (hour === lastHour) ms = lastHourMs;
  else {
    ms = hoursByNumber.get(hour);
    if (ms === undefined) {
      const s = d.text(start, end);
      ms = Date.parse(`${s.slice(0, 13)}:00:00Z`);
      if (Date.parse(s) !== ms + minutes * 60_000 + seconds * 1000) ms = NaN;
      if (hoursByNumber.size >= 100_000) hoursByNumber.clear();
      hoursByNumber.set(hour, ms);
    }
    lastHour = hour;
    lastHourMs = ms;
  }
  return Number.isNaN(ms) ? eventTime(d.text(start, end)) : ms + minutes * 60_000 + seconds * 1000;
}
