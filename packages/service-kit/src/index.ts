export * from './paths';
export * from './config';
export * from './database';
