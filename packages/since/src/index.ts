export * from './partial-date-time';
export * from './filter';
