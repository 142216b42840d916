#include "clock.h"

#ifdef TB_FAKE_REGS
/* Host test (firmware/tests/test_stm32_clock.c): every access goes through a register model. */
volatile uint32_t *tb_fake_reg(uint32_t addr);
#define REG(addr) (*tb_fake_reg(addr))
#else
#define REG(addr) (*(volatile uint32_t *)(addr))
#endif

#define RCC_CR REG(0x40023800u)
#define RCC_PLLCFGR REG(0x40023804u)
#define RCC_CFGR REG(0x40023808u)
#define RCC_APB1ENR REG(0x40023840u)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_CFGR_SW_MASK 3u
#define RCC_CFGR_SW_HSI 0u
#define RCC_CFGR_SW_PLL 2u
#define RCC_CFGR_SWS_MASK (3u << 2)
#define RCC_CFGR_SWS_PLL (2u << 2)
#define RCC_APB1ENR_PWREN (1u << 28)

#define PWR_CR REG(0x40007000u)
#define PWR_CSR REG(0x40007004u)
#define PWR_CR_VOS_MASK (3u << 14)
#define PWR_CR_ODEN (1u << 16)
#define PWR_CR_ODSWEN (1u << 17)
#define PWR_CSR_ODRDY (1u << 16)
#define PWR_CSR_ODSWRDY (1u << 17)

#define FLASH_ACR REG(0x40023C00u)
#define FLASH_ACR_LATENCY_MASK 0xFu
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)
#define FLASH_ACR_ICRST (1u << 11)
#define FLASH_ACR_DCRST (1u << 12)

#define HSI_HZ 16000000u

/* The part, by name: -DTB_STM32_PART=f401|f411|f446. */
#define TB_PART_f401 401
#define TB_PART_f411 411
#define TB_PART_f446 446
#define TB_PART_ID_(p) TB_PART_##p
#define TB_PART_ID(p) TB_PART_ID_(p)
#ifndef TB_STM32_PART
#define TB_STM32_PART f446
#endif
#define STR_(x) #x
#define STR(x) STR_(x)

/* PLL from HSI: f = 16 MHz / M * N / P. VCO input 1-2 MHz, VCO 100-432 MHz.
 * Wait states for 2.7-3.6 V (the NUCLEO boards' 3.3 V). APB1 <= 42/50/45 MHz
 * and APB2 <= 84/100/90 MHz; a timer on a divided APB runs at twice PCLK. */
#if TB_PART_ID(TB_STM32_PART) == 401
#define CORE_HZ 84000000 /* 16 / 16 * 336 / 4 */
#define PLL_M 16u
#define PLL_N 336u
#define PLL_P_BITS 1u /* /4 */
#define PLL_Q 7u
#define FLASH_WS 2u
#define VOS_BITS (2u << 14)   /* scale 2: up to 84 MHz */
#define PPRE1_BITS (4u << 10) /* APB1 /2 = 42 MHz */
#define PPRE2_BITS 0u
#define APB1_DIV 2u
#elif TB_PART_ID(TB_STM32_PART) == 411
#define CORE_HZ 100000000 /* 16 / 16 * 400 / 4 */
#define PLL_M 16u
#define PLL_N 400u
#define PLL_P_BITS 1u
#define PLL_Q 9u
#define FLASH_WS 3u
#define VOS_BITS (3u << 14)   /* scale 1: up to 100 MHz */
#define PPRE1_BITS (4u << 10) /* APB1 /2 = 50 MHz */
#define PPRE2_BITS 0u
#define APB1_DIV 2u
#elif TB_PART_ID(TB_STM32_PART) == 446
#define CORE_HZ 180000000 /* 16 / 8 * 180 / 2, needs over-drive */
#define PLL_M 8u
#define PLL_N 180u
#define PLL_P_BITS 0u /* /2 */
#define PLL_Q 8u
#define FLASH_WS 5u
#define VOS_BITS (3u << 14)   /* scale 1 */
#define PPRE1_BITS (5u << 10) /* APB1 /4 = 45 MHz */
#define PPRE2_BITS (4u << 13) /* APB2 /2 = 90 MHz */
#define APB1_DIV 4u
#define OVER_DRIVE 1
#else
#error "TB_STM32_PART must be f401, f411 or f446"
#endif

/* Ready bits come within microseconds (PLL lock: about 100 us); this many
 * polls at 16 MHz is several milliseconds, after which we give up. */
#define READY_POLLS 200000u

static int wait_set(volatile uint32_t *reg, uint32_t mask, uint32_t want) {
  for (uint32_t i = 0; i < READY_POLLS; ++i)
    if ((*reg & mask) == want) return 1;
  return 0;
}

static stm32_clocks on_hsi(const char *why) {
  /* Back to what reset left: HSI as SYSCLK, PLL off, no bus dividers, zero wait states. */
  RCC_CFGR = RCC_CFGR & ~(RCC_CFGR_SW_MASK | (0xFu << 4) | (7u << 10) | (7u << 13));
  (void)wait_set(&RCC_CFGR, RCC_CFGR_SWS_MASK, 0u); /* on HSI again before the PLL goes off */
  RCC_CR &= ~RCC_CR_PLLON;
  FLASH_ACR = FLASH_ACR & ~FLASH_ACR_LATENCY_MASK;
#ifdef OVER_DRIVE
  PWR_CR &= ~(PWR_CR_ODEN | PWR_CR_ODSWEN);
#endif
  stm32_clocks c = {HSI_HZ, HSI_HZ, HSI_HZ, why};
  return c;
}

stm32_clocks stm32_clock_init(void) {
  /* Reset left the core on HSI (HSION, HSIRDY): it is the PLL's source and the fallback. */
  RCC_APB1ENR |= RCC_APB1ENR_PWREN;
  PWR_CR = (PWR_CR & ~PWR_CR_VOS_MASK) | VOS_BITS;
  RCC_CR &= ~RCC_CR_PLLON;
  RCC_PLLCFGR = PLL_M | (PLL_N << 6) | (PLL_P_BITS << 16) | (PLL_Q << 24) | (2u << 28); /* source HSI (bit 22 clear); PLLR /2 on F446 */
  RCC_CR |= RCC_CR_PLLON;
  if (!wait_set(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY)) return on_hsi("core 16000000 Hz, HSI fallback: PLL did not lock");
#ifdef OVER_DRIVE
  PWR_CR |= PWR_CR_ODEN;
  if (!wait_set(&PWR_CSR, PWR_CSR_ODRDY, PWR_CSR_ODRDY)) return on_hsi("core 16000000 Hz, HSI fallback: over-drive not ready");
  PWR_CR |= PWR_CR_ODSWEN;
  if (!wait_set(&PWR_CSR, PWR_CSR_ODSWRDY, PWR_CSR_ODSWRDY)) return on_hsi("core 16000000 Hz, HSI fallback: over-drive switch not ready");
#endif
  /* Wait states before the faster clock; the caches are reset while off, then enabled with prefetch. */
  FLASH_ACR = FLASH_ACR_ICRST | FLASH_ACR_DCRST;
  FLASH_ACR = FLASH_WS | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
  if (!wait_set(&FLASH_ACR, FLASH_ACR_LATENCY_MASK, FLASH_WS))
    return on_hsi("core 16000000 Hz, HSI fallback: flash wait states not accepted");
  RCC_CFGR = (RCC_CFGR & ~(RCC_CFGR_SW_MASK | (0xFu << 4) | (7u << 10) | (7u << 13))) | PPRE1_BITS | PPRE2_BITS;
  RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
  if (!wait_set(&RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL))
    return on_hsi("core 16000000 Hz, HSI fallback: switch to the PLL not confirmed");
  stm32_clocks c = {CORE_HZ, CORE_HZ / APB1_DIV, 2u * (CORE_HZ / APB1_DIV),
                    "core " STR(CORE_HZ) " Hz, PLL from HSI (" STR(TB_STM32_PART) ")"};
  return c;
}
