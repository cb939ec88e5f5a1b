// Benchmark anchor, never built by CI: a C forward pass written the way llama2.c's run.c (fp32)
// and runq.c (int8 Q8_0) write theirs — naive row loops under `#pragma omp parallel for`, the
// activations quantized per group before each int8 product — so Proctor's decode speed can be put
// beside a plain OpenMP C build on the same checkpoint, in the same minutes. It is not llama2.c
// itself (whose code stays out of this repository); it follows the same algorithm and loop order.
//
//   gcc -Ofast -march=native -fopenmp -o /tmp/c-forward Tests/Scripts/c-forward-bench.c -lm
//   OMP_NUM_THREADS=1 /tmp/c-forward MODEL.bin [TOKENS]   # llama2.c v0 (fp32) or v2 (int8) file
//
// Prints decode tokens/s for TOKENS steps (default 64) feeding token (pos * 7) % vocab, as
// `proctor model bench` does.
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct { int8_t *q; float *s; } QT;  // int8 values, one scale per group
static int dim, hidden, layers, heads, kvheads, vocab, seqlen, shared, gs, q8;
static float *emb, *rms_att, *rms_ffn, *rms_final;
static float *fw[7], *fcls;           // fp32: wq wk wv wo w1 w2 w3 (all layers), classifier
static QT *qw[7], qcls;               // int8: per layer

static void matmul_f32(float *out, const float *x, const float *w, int n, int d) {
    int i;
#pragma omp parallel for private(i)
    for (i = 0; i < d; i++) {
        float v = 0;
        for (int j = 0; j < n; j++) v += w[(long)i * n + j] * x[j];
        out[i] = v;
    }
}

static void quantize(QT *t, const float *x, int n) {
    for (int g = 0; g < n / gs; g++) {
        float m = 0;
        for (int i = 0; i < gs; i++) { float a = fabsf(x[g * gs + i]); if (a > m) m = a; }
        float s = m / 127.0f;
        t->s[g] = s;
        for (int i = 0; i < gs; i++) t->q[g * gs + i] = (int8_t)roundf(x[g * gs + i] / s);
    }
}

static void matmul_q8(float *out, const QT *x, const QT *w, int n, int d) {
    int i;
#pragma omp parallel for private(i)
    for (i = 0; i < d; i++) {
        float v = 0;
        long in = (long)i * n;
        for (int j = 0; j <= n - gs; j += gs) {
            int32_t iv = 0;
            for (int k = 0; k < gs; k++) iv += (int32_t)x->q[j + k] * (int32_t)w->q[in + j + k];
            v += (float)iv * w->s[(in + j) / gs] * x->s[j / gs];
        }
        out[i] = v;
    }
}

static float *buf, *xb, *xb2, *hb, *hb2, *q, *att, *logits, *kc, *vc;
static QT xq, hq;

static void rmsnorm(float *o, const float *x, const float *w, int n) {
    float ss = 0;
    for (int j = 0; j < n; j++) ss += x[j] * x[j];
    ss = 1.0f / sqrtf(ss / n + 1e-5f);
    for (int j = 0; j < n; j++) o[j] = w[j] * (ss * x[j]);
}

static void mm(int m, int l, float *out, const float *x, QT *xqt, int n, int d) {
    if (q8) matmul_q8(out, xqt, &qw[m][l], n, d);
    else matmul_f32(out, x, fw[m] + (long)l * n * d, n, d);
}

static void forward(int token, int pos) {
    int hs = dim / heads, kvdim = kvheads * hs, kvmul = heads / kvheads;
    float *x = buf;
    memcpy(x, emb + (long)token * dim, dim * sizeof(float));
    for (int l = 0; l < layers; l++) {
        rmsnorm(xb, x, rms_att + l * dim, dim);
        long loff = (long)l * seqlen * kvdim;
        float *k = kc + loff + pos * kvdim, *v = vc + loff + pos * kvdim;
        if (q8) quantize(&xq, xb, dim);
        mm(0, l, q, xb, &xq, dim, dim); mm(1, l, k, xb, &xq, dim, kvdim); mm(2, l, v, xb, &xq, dim, kvdim);
        for (int i = 0; i < dim; i += 2) {
            float f = 1.0f / powf(10000.0f, (i % hs) / (float)hs), a = pos * f, c = cosf(a), s = sinf(a);
            float q0 = q[i], q1 = q[i + 1];
            q[i] = q0 * c - q1 * s; q[i + 1] = q0 * s + q1 * c;
            if (i < kvdim) { float k0 = k[i], k1 = k[i + 1]; k[i] = k0 * c - k1 * s; k[i + 1] = k0 * s + k1 * c; }
        }
        int h;
#pragma omp parallel for private(h)
        for (h = 0; h < heads; h++) {
            float *qh = q + h * hs, *a = att + h * seqlen;
            for (int t = 0; t <= pos; t++) {
                float sc = 0;
                const float *kt = kc + loff + t * kvdim + (h / kvmul) * hs;
                for (int i = 0; i < hs; i++) sc += qh[i] * kt[i];
                a[t] = sc / sqrtf(hs);
            }
            float m = a[0], sum = 0;
            for (int t = 1; t <= pos; t++) if (a[t] > m) m = a[t];
            for (int t = 0; t <= pos; t++) { a[t] = expf(a[t] - m); sum += a[t]; }
            float *o = xb + h * hs;
            memset(o, 0, hs * sizeof(float));
            for (int t = 0; t <= pos; t++) {
                const float *vt = vc + loff + t * kvdim + (h / kvmul) * hs;
                float w = a[t] / sum;
                for (int i = 0; i < hs; i++) o[i] += w * vt[i];
            }
        }
        if (q8) quantize(&xq, xb, dim);
        mm(3, l, xb2, xb, &xq, dim, dim);
        for (int i = 0; i < dim; i++) x[i] += xb2[i];
        rmsnorm(xb, x, rms_ffn + l * dim, dim);
        if (q8) quantize(&xq, xb, dim);
        mm(4, l, hb, xb, &xq, dim, hidden); mm(6, l, hb2, xb, &xq, dim, hidden);
        for (int i = 0; i < hidden; i++) { float s = hb[i]; hb[i] = s * (1.0f / (1.0f + expf(-s))) * hb2[i]; }
        if (q8) quantize(&hq, hb, hidden);
        mm(5, l, xb, hb, &hq, hidden, dim);
        for (int i = 0; i < dim; i++) x[i] += xb[i];
    }
    rmsnorm(x, x, rms_final, dim);
    if (q8) { quantize(&xq, x, dim); matmul_q8(logits, &xq, &qcls, dim, vocab); }
    else matmul_f32(logits, x, fcls, dim, vocab);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s MODEL.bin [TOKENS]\n", argv[0]); return 2; }
    int steps = argc > 2 ? atoi(argv[2]) : 64;
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) { perror(argv[1]); return 2; }
    char *m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int32_t *h = (int32_t *)m;
    long L, kvd;
    if ((uint32_t)h[0] == 0x616b3432 && h[1] == 2) {
        q8 = 1;
        dim = h[2]; hidden = h[3]; layers = h[4]; heads = h[5]; kvheads = h[6]; vocab = h[7]; seqlen = h[8];
        shared = m[36]; memcpy(&gs, m + 37, 4);
        L = layers; kvd = (long)kvheads * (dim / heads);
        float *f = (float *)(m + 256);
        rms_att = f; rms_ffn = f + L * dim; rms_final = f + 2 * L * dim;
        char *p = (char *)(f + 2 * L * dim + dim);
        long each[7] = {(long)dim * dim, kvd * dim, kvd * dim, (long)dim * dim, (long)hidden * dim, (long)hidden * dim, (long)hidden * dim};
        QT tok = {(int8_t *)p, (float *)(p + (long)vocab * dim)};
        p += (long)vocab * dim + (long)vocab * dim / gs * 4;
        emb = malloc((long)vocab * dim * sizeof(float));
        for (long i = 0; i < (long)vocab * dim; i++) emb[i] = tok.q[i] * tok.s[i / gs];
        for (int t = 0; t < 7; t++) {
            qw[t] = malloc(L * sizeof(QT));  // wq wk wv wo w1 w2 w3, each for all layers
            for (int l = 0; l < L; l++) { qw[t][l].q = (int8_t *)p; p += each[t]; qw[t][l].s = (float *)p; p += each[t] / gs * 4; }
        }
        qcls = shared ? tok : (QT){(int8_t *)p, (float *)(p + (long)vocab * dim)};
    } else if (h[0] > 0 && h[0] < 65536) {
        dim = h[0]; hidden = h[1]; layers = h[2]; heads = h[3]; kvheads = h[4]; vocab = abs(h[5]); seqlen = h[6]; shared = h[5] > 0;
        L = layers; kvd = (long)kvheads * (dim / heads);
        float *f = (float *)(m + 28);
        emb = f; f += (long)vocab * dim;
        rms_att = f; f += L * dim;
        fw[0] = f; f += L * dim * dim; fw[1] = f; f += L * kvd * dim; fw[2] = f; f += L * kvd * dim; fw[3] = f; f += L * dim * dim;
        rms_ffn = f; f += L * dim;
        fw[4] = f; f += L * hidden * dim; fw[5] = f; f += L * hidden * dim; fw[6] = f; f += L * hidden * dim;
        rms_final = f; f += dim;
        f += (long)seqlen * (dim / heads);
        fcls = shared ? emb : f;
    } else {
        fprintf(stderr, "%s: not a llama2.c version 0 or version 2 checkpoint\n", argv[1]);
        return 2;
    }
    long kvdim = (long)kvheads * (dim / heads);
    buf = calloc(dim, 4); xb = calloc(dim, 4); xb2 = calloc(dim, 4); q = calloc(dim, 4);
    hb = calloc(hidden, 4); hb2 = calloc(hidden, 4); att = calloc((long)heads * seqlen, 4); logits = calloc(vocab, 4);
    kc = calloc((long)layers * seqlen * kvdim, 4); vc = calloc((long)layers * seqlen * kvdim, 4);
    int wmax = dim > hidden ? dim : hidden;
    xq = (QT){calloc(wmax, 1), calloc(wmax, 4)}; hq = (QT){calloc(wmax, 1), calloc(wmax, 4)};
    if (steps > seqlen - 1) steps = seqlen - 1;
    forward(1, 0);  // warm-up: pages in the mapping
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int pos = 1; pos <= steps; pos++) forward((pos * 7) % vocab, pos);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double dt = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
    printf("%s decode: %.1f tok/s (%d tokens)\n", q8 ? "int8 (runq.c-style)" : "fp32 (run.c-style)", steps / dt, steps);
    return 0;
}
