/* stm32f4/clock.c against a model of the RCC, PWR and flash registers it
 * touches: each ready bit follows its enable bit only while that part of the
 * model "works", so both the rated-clock path and every fallback run on the
 * host. Build with -DTB_FAKE_REGS -DTB_STM32_PART=<part>; prints one line per
 * case and "N passed, M failed". */
#include "../ports/stm32f4/clock.h"

#include <stdio.h>
#include <string.h>

enum { CR, PLLCFGR, CFGR, APB1ENR, PWRCR, PWRCSR, ACR, NREGS };
static uint32_t regs[NREGS];
static uint32_t polls;
static struct { int pll_locks, over_drive_ready, switch_confirms, latency_sticks; } works;

volatile uint32_t *tb_fake_reg(uint32_t addr) {
  /* Hardware reaction to what was written so far, before this access sees the register. */
  ++polls;
  if ((regs[CR] & (1u << 24)) && works.pll_locks) regs[CR] |= 1u << 25;
  else regs[CR] &= ~(1u << 25);
  if ((regs[PWRCR] & (1u << 16)) && works.over_drive_ready) regs[PWRCSR] |= 1u << 16;
  else regs[PWRCSR] &= ~(1u << 16);
  if ((regs[PWRCR] & (1u << 17)) && works.over_drive_ready) regs[PWRCSR] |= 1u << 17;
  else regs[PWRCSR] &= ~(1u << 17);
  if (works.switch_confirms) regs[CFGR] = (regs[CFGR] & ~(3u << 2)) | ((regs[CFGR] & 3u) << 2);
  if (!works.latency_sticks) regs[ACR] &= ~0xFu;
  switch (addr) {
    case 0x40023800u: return &regs[CR];
    case 0x40023804u: return &regs[PLLCFGR];
    case 0x40023808u: return &regs[CFGR];
    case 0x40023840u: return &regs[APB1ENR];
    case 0x40007000u: return &regs[PWRCR];
    case 0x40007004u: return &regs[PWRCSR];
    case 0x40023C00u: return &regs[ACR];
    default: fprintf(stderr, "unexpected register 0x%08x\n", (unsigned)addr); return &regs[NREGS - 1];
  }
}

static int passed, failed;
static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  ok ? ++passed : ++failed;
}

static stm32_clocks run(int pll, int od, int sw, int lat) {
  memset(regs, 0, sizeof regs);
  regs[CR] = 0x83u;            /* reset: HSION, HSIRDY */
  regs[PLLCFGR] = 0x24003010u; /* reset value */
  polls = 0;
  works.pll_locks = pll;
  works.over_drive_ready = od;
  works.switch_confirms = sw;
  works.latency_sticks = lat;
  return stm32_clock_init();
}

static int on_hsi_again(void) {
  return (regs[CFGR] & 3u) == 0 && !(regs[CR] & (1u << 24)) && (regs[ACR] & 0xFu) == 0 && (regs[CFGR] & 0xFFF0u) == 0 &&
         !(regs[PWRCR] & (3u << 16));
}

int main(void) {
#if defined(EXPECT_HZ)
  stm32_clocks c = run(1, 1, 1, 1);
  check(c.core_hz == EXPECT_HZ, "rated core clock");
  check(c.pclk1_hz == EXPECT_PCLK1 && c.tim2_hz == 2u * EXPECT_PCLK1, "APB1 and its timer clock");
  check((regs[PLLCFGR] & 0x3Fu) == EXPECT_M && ((regs[PLLCFGR] >> 6) & 0x1FFu) == EXPECT_N &&
            ((regs[PLLCFGR] >> 16) & 3u) == EXPECT_P_BITS && !(regs[PLLCFGR] & (1u << 22)),
        "PLL M, N, P from HSI");
  check(16000000ull / EXPECT_M * EXPECT_N / (2u * (EXPECT_P_BITS + 1u)) == EXPECT_HZ, "M, N, P give the rated clock");
  check((regs[ACR] & 0xFu) == EXPECT_WS && (regs[ACR] & (7u << 8)) == (7u << 8), "flash wait states, prefetch, I and D caches");
  check((regs[CFGR] & 3u) == 2u, "SYSCLK from the PLL");
  check(strstr(c.note, "PLL from HSI") != NULL, c.note);
  c = run(0, 1, 1, 1);
  check(c.core_hz == 16000000u && c.pclk1_hz == 16000000u && on_hsi_again(), "PLL never locks: HSI, registers as at reset");
  check(!strcmp(c.note, "core 16000000 Hz, HSI fallback: PLL did not lock"), c.note);
  check(polls < 2000000u, "the wait for PLLRDY is bounded");
  c = run(1, 1, 0, 1);
  check(c.core_hz == 16000000u && on_hsi_again() && strstr(c.note, "switch to the PLL not confirmed"), c.note);
  c = run(1, 1, 1, 0);
  check(c.core_hz == 16000000u && on_hsi_again() && strstr(c.note, "flash wait states not accepted"), c.note);
#if EXPECT_HZ == 180000000
  c = run(1, 0, 1, 1);
  check(c.core_hz == 16000000u && on_hsi_again() && strstr(c.note, "over-drive not ready"), c.note);
#endif
#else
#error "build with -DEXPECT_HZ=... (see test/firmware/stm32-clock.test.ts)"
#endif
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
