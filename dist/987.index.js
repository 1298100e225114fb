export const id = 987;
export const ids = [987];
export const modules = {

/***/ 987:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   createOctokit: () => (/* binding */ createOctokit)
/* harmony export */ });
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1758);
/* harmony import */ var _octokit_plugin_retry__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9735);
/* harmony import */ var _octokit_plugin_throttling__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6856);
/**
 * The one Octokit factory, holding the whole GitHub retry policy: @actions/github's getOctokit
 * (GHES base URL, proxy support) with Octokit's retry and throttling plugins. @actions/github
 * builds its `context` at import, which parses GITHUB_EVENT_PATH and would crash on a bad event
 * file: so this module is only ever loaded through load.ts, after src/github/event.ts has read
 * and checked the file.
 *
 * Bounds (per call): an attempt gets 30 s; 5xx and "no answer" are retried twice (after 1 s and
 * 4 s, or the answer's Retry-After up to 30 s); a secondary rate limit twice after its
 * Retry-After (at most 60 s); a primary limit once, and only when it resets within 60 s. So a
 * call ends within about 2 minutes even if GitHub misbehaves throughout, and never waits an hour
 * for a reset.
 */



const GITHUB_TIMEOUT_MS = 30_000;
const RETRIES = 2;
const MAX_5XX_RETRY_AFTER_S = 30;
const LIMIT_RETRIES = 2;
const MAX_LIMIT_WAIT_S = 60;
/**
 * The throttling plugin spaces all writes 1 s apart (comment creates 3 s), a courtesy for bulk
 * writers. A run writes a handful, and there the spacing only costs: the comment appears a second
 * later and a cancelled job exits late. Its rate-limit handling stays; this replaces only the
 * spacing queues (the plugin calls `group.key(id).schedule(options, task)`).
 */
const NO_SPACING = { key: () => ({ schedule: (_o, task) => task() }) };
/**
 * An Octokit for `apiUrl` (GitHub Enterprise Server too) with retry and throttling. The timeout
 * is a hook, not a `request.signal` default, so that it can be renewed: its plugin comes before the retry
 * plugin, so its hook runs for each attempt: a retry gets a fresh 30 s, not what is left.
 */
function createOctokit(token, apiUrl, opts = {}) {
    const timeoutMs = opts.timeoutMs ?? GITHUB_TIMEOUT_MS;
    const secondMs = opts.secondMs ?? 1000;
    const note = opts.onRetry ?? (() => { });
    // Every hook sees the same options object (each is bound to it): so the signal is set on it,
    // afresh for each attempt, keeping the caller's own signal (a cancellation) in the mix.
    const callerSignals = new WeakMap();
    const perAttemptTimeout = (octokit) => {
        octokit.hook.wrap('request', (request, options) => {
            if (!callerSignals.has(options))
                callerSignals.set(options, options.request?.signal);
            const caller = callerSignals.get(options);
            const timeout = AbortSignal.timeout(timeoutMs);
            options.request = { ...options.request, signal: caller ? AbortSignal.any([caller, timeout]) : timeout };
            return request(options);
        });
    };
    const onLimit = (kind) => (retryAfter, options, _octokit, retryCount) => {
        const what = `${options.method} ${options.url}`;
        if (retryCount < LIMIT_RETRIES && retryAfter <= MAX_LIMIT_WAIT_S) {
            note(`GitHub ${kind} rate limit on ${what}: retrying in ${retryAfter} s`);
            return true;
        }
        return false;
    };
    const options = {
        baseUrl: apiUrl,
        retry: {
            retries: RETRIES,
            retryAfterBaseValue: secondMs,
            // 403 and 429 are the throttling plugin's (it knows rate limits from permission errors).
            doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
        },
        throttle: {
            write: NO_SPACING,
            notifications: NO_SPACING,
            retryAfterBaseValue: secondMs,
            onSecondaryRateLimit: onLimit('secondary'),
            onRateLimit: onLimit('primary'),
        },
    };
    const octokit = (0,_actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q)(token, options, perAttemptTimeout, _octokit_plugin_retry__WEBPACK_IMPORTED_MODULE_1__/* .retry */ .L, _octokit_plugin_throttling__WEBPACK_IMPORTED_MODULE_2__/* .throttling */ .A);
    honourRetryAfterOn5xx(octokit, note);
    return octokit;
}
/** The retry plugin backs off 1 s, 4 s for a 5xx and ignores its Retry-After; a 503 that names a wait gets that wait. */
function honourRetryAfterOn5xx(octokit, note) {
    const plain = octokit.retry.retryRequest;
    octokit.retry.retryRequest = (error, retries, retryAfter) => {
        const asked = Number(error.response?.headers?.['retry-after']);
        const wait = Number.isFinite(asked) && asked > 0 ? Math.min(Math.max(asked, retryAfter), MAX_5XX_RETRY_AFTER_S) : retryAfter;
        if ((error.request?.request?.retryCount ?? 0) < retries) {
            const answer = error.response ? `answered ${error.status}` : 'did not answer';
            note(`GitHub ${answer} to ${error.request?.method} ${error.request?.url}: retrying in ${wait} s`);
        }
        return plain(error, retries, wait);
    };
}
//# sourceMappingURL=octokit.js.map

/***/ })

};
