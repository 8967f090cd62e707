/* SPDX-License-Identifier: MIT */
/* test-shapley.c - exact Shapley values (libcommon/shapley.h) on games with
 * known answers, and against the permutation definition
 * phi_m = mean over all n! orders of v(pred(m) u {m}) - v(pred(m)). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "report/shapley.h"
#include "tap.h"

#define MAXN 7

static double rel_err(double a, double b)
{
    double d = fabs(a - b), s = fmax(fabs(a), fabs(b));
    return s > 0 ? d / s : d;
}

/* Shapley by enumerating all orders (Heap's algorithm): an independent
 * definition to compare against. */
static void shapley_by_orders(int n, const double *v, double *phi)
{
    int perm[MAXN], c[MAXN];
    double count = 0;
    for (int i = 0; i < n; i++) {
        perm[i] = i;
        c[i] = 0;
        phi[i] = 0;
    }
    for (;;) {
        unsigned s = 0;
        for (int k = 0; k < n; k++) {
            phi[perm[k]] += v[s | (1u << perm[k])] - v[s];
            s |= 1u << perm[k];
        }
        count += 1;
        int i = 1;
        while (i < n && c[i] >= i) {
            c[i] = 0;
            i++;
        }
        if (i >= n)
            break;
        int j = (i % 2) ? c[i] : 0, t = perm[j];
        perm[j] = perm[i];
        perm[i] = t;
        c[i]++;
    }
    for (int i = 0; i < n; i++)
        phi[i] /= count;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double uniform01(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

int main(void)
{
    double v[1u << MAXN], phi[MAXN], ref[MAXN];
    asgml_status st;
    int good;

    /* weights: n = 3 -> 1/3, 1/6, 1/3 */
    ok(fabs(asgml_shapley_weight(3, 0) - 1.0 / 3) < 1e-15 &&
       fabs(asgml_shapley_weight(3, 1) - 1.0 / 6) < 1e-15 &&
       fabs(asgml_shapley_weight(3, 2) - 1.0 / 3) < 1e-15 && asgml_shapley_weight(3, 3) == 0,
       "weights s!(n-s-1)!/n! for n = 3");
    good = 1;
    for (int n = 1; n <= 12; n++) {
        double total = 0; /* sum over coalitions without one player = 1 */
        for (int s = 0; s < n; s++) {
            double ways = 1;
            for (int i = 0; i < s; i++)
                ways = ways * (n - 1 - i) / (i + 1);
            total += ways * asgml_shapley_weight(n, s);
        }
        good &= fabs(total - 1) < 1e-12;
    }
    ok(good, "weights of one player's coalitions sum to 1 (n = 1..12)");

    /* additive game v(S) = c + sum w_m: phi = w */
    const double w[4] = {0.30, 0.05, -0.10, 0.25}, c0 = 0.1;
    for (unsigned s = 0; s < 16; s++) {
        v[s] = c0;
        for (int m = 0; m < 4; m++)
            if (s & (1u << m))
                v[s] += w[m];
    }
    st = asgml_shapley_values(4, v, phi);
    ok(st == ASGML_OK && fabs(phi[0] - 0.30) < 1e-12 &&
       fabs(phi[1] - 0.05) < 1e-12 && fabs(phi[2] + 0.10) < 1e-12 &&
       fabs(phi[3] - 0.25) < 1e-12, "additive game: phi = per-player worth (%g %g %g %g)",
       phi[0], phi[1], phi[2], phi[3]);

    /* symmetric game v(S) = f(|S|): phi_m = (f(n) - f(0)) / n */
    const double f[4] = {0.1, 0.5, 0.6, 0.9};
    for (unsigned s = 0; s < 8; s++)
        v[s] = f[asgml_shapley_coalition_size(s)];
    st = asgml_shapley_values(3, v, phi);
    ok(st == ASGML_OK && fabs(phi[0] - 0.8 / 3) < 1e-12 &&
       fabs(phi[1] - 0.8 / 3) < 1e-12 && fabs(phi[2] - 0.8 / 3) < 1e-12,
       "symmetric game: phi = (v(N) - v(0)) / n = %g", phi[0]);

    /* glove game: player 0 holds the left glove, 1 and 2 a right one each;
     * v(S) = 1 iff S has 0 and one of {1, 2}: phi = (2/3, 1/6, 1/6) */
    memset(v, 0, sizeof v);
    v[0x3] = v[0x5] = v[0x7] = 1;
    ok(asgml_shapley_values(3, v, phi) == ASGML_OK && fabs(phi[0] - 2.0 / 3) < 1e-12 &&
       fabs(phi[1] - 1.0 / 6) < 1e-12 && fabs(phi[2] - 1.0 / 6) < 1e-12,
       "glove game: phi = (2/3, 1/6, 1/6)");

    /* two modalities, accuracy-like numbers: phi_a = ((va - v0) + (vav - vv)) / 2 */
    v[0] = 0.10; v[1] = 0.70; v[2] = 0.40; v[3] = 0.80;
    st = asgml_shapley_values(2, v, phi);
    ok(st == ASGML_OK &&
       fabs(phi[0] - ((0.70 - 0.10) + (0.80 - 0.40)) / 2) < 1e-12 &&
       fabs(phi[1] - ((0.40 - 0.10) + (0.80 - 0.70)) / 2) < 1e-12,
       "two players: phi = (%g, %g)", phi[0], phi[1]);

    /* null player: player 2 never changes v */
    for (unsigned s = 0; s < 8; s++)
        v[s] = (s & 1 ? 0.4 : 0) + ((s & 3) == 3 ? 0.2 : 0);
    ok(asgml_shapley_values(3, v, phi) == ASGML_OK && phi[2] == 0 &&
       fabs(phi[0] - 0.5) < 1e-12 && fabs(phi[1] - 0.1) < 1e-12, "null player gets 0");

    /* one player: phi = v(1) - v(0) */
    v[0] = 0.25; v[1] = 0.75;
    ok(asgml_shapley_values(1, v, phi) == ASGML_OK && fabs(phi[0] - 0.5) < 1e-15,
       "one player: phi = v(1) - v(0)");

    /* random games: equal to the permutation definition; efficiency */
    good = 1;
    for (int n = 1; n <= MAXN; n++) {
        for (int rep = 0; rep < 5; rep++) {
            double sum = 0;
            for (unsigned s = 0; s < (1u << n); s++)
                v[s] = uniform01();
            if (asgml_shapley_values(n, v, phi) != ASGML_OK) {
                good = 0;
                continue;
            }
            shapley_by_orders(n, v, ref);
            for (int m = 0; m < n; m++) {
                good &= rel_err(phi[m], ref[m]) < 1e-12 || fabs(phi[m] - ref[m]) < 1e-14;
                sum += phi[m];
            }
            good &= fabs(sum - (v[(1u << n) - 1] - v[0])) < 1e-12;
        }
    }
    ok(good, "random games n = 1..%d: equal to the mean over all orders; efficiency", MAXN);

    /* errors */
    ok(asgml_shapley_values(0, v, phi) == ASGML_EINVAL, "n = 0 rejected");
    ok(asgml_shapley_values(ASGML_SHAPLEY_MAX_PLAYERS + 1, v, phi) == ASGML_EINVAL &&
       strstr(asgml_last_error(), "players") != NULL, "n too large rejected with a message");
    v[0] = 0; v[1] = 1; v[2] = NAN; v[3] = 1;
    ok(asgml_shapley_values(2, v, phi) == ASGML_ENUMERIC, "NaN worth rejected");
    ok(asgml_shapley_coalition_size(0xb) == 3 && asgml_shapley_coalition_size(0) == 0,
       "coalition size");
    return tap_done();
}
