export * from './ssn';
export * from './sex';
