import { describe, expect, it } from 'vitest';
import { trainEngine } from '../../predict/engine.ts';
import { answersOf, evaluationOf, pinnedEvents, readAnswers } from './pinned.ts';

/** JSON as stored: what the pinned file can hold (undefined fields dropped, -0 as 0). */
const asStored = (x: unknown) => JSON.parse(JSON.stringify(x));

describe('the prediction engine on the pinned sample (answers computed before the models were rewritten for speed)', () => {
  const events = pinnedEvents();
  const pinned = readAnswers();

  it('gives the pinned profiles, peers, predictions, burst model, anomalies and next actions', () => {
    expect(events.length).toBe(40_001);
    expect(asStored(answersOf(trainEngine(events)))).toEqual(pinned.answers);
  }, 120_000);

  it('gives the pinned held-out evaluation', () => {
    expect(asStored(evaluationOf(events))).toEqual(pinned.evaluation);
  }, 120_000);
});
