// The table query builder behind `client.from()`: request state, its wire encoding
// (query string or `POST …/query` body), the builder classes and the response shape.
export { QueryBuilder, type InsertOptions, type SelectOptions, type UpsertOptions } from './query-builder.ts';
export { FilterBuilder, type FilterOperator, type TextSearchType } from './filter-builder.ts';
export { TransformBuilder } from './transform-builder.ts';
export { QueryRequest } from './request-builder.ts';
export { type QueryResponse, type QueryResponseFailure, type QueryResponseSuccess } from './respond.ts';
export { tablePath, type CountOption } from './state.ts';
export { MAX_QUERY_STRING, type QueryBody } from './encode.ts';
