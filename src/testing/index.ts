export { testScheduler } from './test-scheduler.js';
export { VirtualClock, virtualClock } from './virtual-clock.js';
