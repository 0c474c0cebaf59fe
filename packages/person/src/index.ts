export * from './sex';
export * from './ssn';
