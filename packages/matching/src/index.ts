export * from './estimate';
export * from './frequencies';
export * from './match';
export * from './memory-index';
export * from './nicknames';
export * from './normalize';
export * from './score';
export * from './synthetic';
