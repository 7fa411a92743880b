/** The prediction engine: sessions, profiles, peers, next-action model, forecasts, anomalies, evaluation. */
export * from './corpus.ts';
export * from './sessions.ts';
export * from './profile.ts';
export * from './peers.ts';
export * from './model.ts';
export * from './engine.ts';
export * from './forecast.ts';
export * from './anomalies.ts';
export * from './baselines.ts';
export * from './evaluate.ts';
export * from './service.ts';
export * from './plot.ts';
export { createPredictHelpers, profileRow, type PredictHelpers } from './kernel-helpers.ts';
