export * from './message/types';
export { HeaderList } from './message/headers';
export { canonicalHeaderName, expandHeaderName, headerKey, isListHeader } from './message/header-names';
export { parseUri, formatUri, urisEqual, isIpv6 } from './message/uri';
export { parseVia, formatVia, parseNameAddr, formatNameAddr, parseCSeq, parseMediaType } from './message/header-values';
export { splitOutside, parseParams, formatParams, readQuoted, quoteIfNeeded } from './message/scan';
export { createResponse, newBranch, newTag, newCallId, REASON_PHRASES } from './message/build';
