export * from './record';
export * from './ndjson';
