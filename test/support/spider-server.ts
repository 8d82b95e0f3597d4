// The spider stand-in serves benchmarks and ops recordings too, so it lives in support/.
export * from '../../support/spider-server';
