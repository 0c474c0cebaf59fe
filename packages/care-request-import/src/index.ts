export * from './ndjson';
export * from './record';
