export * from './filter';
export * from './partial-date-time';
