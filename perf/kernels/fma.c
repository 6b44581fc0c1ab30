/* A small floating-point kernel for the fused multiply-add figure (perf/README.md): a dot
   product in double and single precision and an n-body step. aarch64-linux-gnu-gcc -O2
   contracts a*b+c into FMADD/FMSUB and the .2d FMLA/FMLS. Written here. */
#include <stdio.h>
#define N 512
static double xd[N], yd[N];
static float xs[N], ys[N];
struct body { double x, y, z, vx, vy, vz, m; };
static struct body b[5] = {
    {0, 0, 0, 0, 0, 0, 39.47}, {4.84, -1.16, -0.10, 0.606, 2.81, -0.02, 0.037},
    {8.34, 4.12, -0.40, -1.01, 1.82, 0.008, 0.011}, {12.89, -15.11, -0.22, 1.08, 0.868, -0.01, 0.0017},
    {15.37, -25.9, 0.179, 0.979, 0.594, -0.034, 0.002}};
static void advance(double dt) {
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * d2);
            b[i].vx -= dx * b[j].m * mag; b[i].vy -= dy * b[j].m * mag; b[i].vz -= dz * b[j].m * mag;
            b[j].vx += dx * b[i].m * mag; b[j].vy += dy * b[i].m * mag; b[j].vz += dz * b[i].m * mag;
        }
    for (int i = 0; i < 5; i++) { b[i].x += dt * b[i].vx; b[i].y += dt * b[i].vy; b[i].z += dt * b[i].vz; }
}
int main(void) {
    for (int i = 0; i < N; i++) { xd[i] = 1.0 / (i + 1); yd[i] = i * 0.5; xs[i] = xd[i]; ys[i] = yd[i]; }
    double dot = 0; float dots = 0;
    for (int r = 0; r < 2000; r++)
        for (int i = 0; i < N; i++) { dot += xd[i] * yd[i]; dots += xs[i] * ys[i]; }
    for (int s = 0; s < 100000; s++) advance(0.001);
    printf("%.17g %.9g %.17g %.17g\n", dot, dots, b[0].vx, b[1].x);
    return 0;
}
