package middleware_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sturdyhttp/sturdy/middleware"
)

func TestBudgetRatio(t *testing.T) {
	b, err := middleware.NewBudget(middleware.BudgetConfig{Ratio: 0.2, MinPerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	if b.Withdraw() {
		t.Fatal("Withdraw on a new budget without a floor: got true, want false")
	}
	for range 10 {
		b.Deposit()
	}
	// Ten calls at 0.2 earn two retries, and no third.
	for i := range 2 {
		if !b.Withdraw() {
			t.Fatalf("Withdraw %d: got false, want true", i+1)
		}
	}
	if b.Withdraw() {
		t.Error("Withdraw 3: got true, want false")
	}
}

func TestBudgetFloor(t *testing.T) {
	cases := []struct {
		name string
		cfg  middleware.BudgetConfig
		want int
	}{
		{"default burst", middleware.BudgetConfig{}, middleware.DefaultBudgetFloorBurst},
		{"burst of 3", middleware.BudgetConfig{MinPerSecond: 1, FloorBurst: 3}, 3},
		{"no floor", middleware.BudgetConfig{MinPerSecond: -1}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := middleware.NewBudget(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			allowed := 0
			for range 10 {
				if b.Withdraw() {
					allowed++
				}
			}
			// The test runs in far less than the second that would
			// earn the floor another retry.
			if allowed != tc.want {
				t.Errorf("retries allowed by the floor alone: got %d, want %d", allowed, tc.want)
			}
		})
	}
}

func TestBudgetMaxTokens(t *testing.T) {
	b, err := middleware.NewBudget(middleware.BudgetConfig{Ratio: 0.5, MaxTokens: 2, MinPerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		b.Deposit()
	}
	allowed := 0
	for range 10 {
		if b.Withdraw() {
			allowed++
		}
	}
	if allowed != 2 {
		t.Errorf("retries after a long healthy run: got %d, want the cap of 2", allowed)
	}
}

func TestBudgetConcurrentUse(t *testing.T) {
	b, err := middleware.NewBudget(middleware.BudgetConfig{MinPerSecond: -1, MaxTokens: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				b.Deposit()
			}
			for range 100 {
				if b.Withdraw() {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	// 5000 calls at the default ratio of 0.2 earn at most 1000 retries.
	if allowed > 1000 {
		t.Errorf("retries allowed: got %d, want at most 1000", allowed)
	}
}

func TestBudgetConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  middleware.BudgetConfig
		want string
	}{
		{"ratio of one", middleware.BudgetConfig{Ratio: 1}, "ratio 1 is outside [0, 1)"},
		{"negative ratio", middleware.BudgetConfig{Ratio: -0.1}, "ratio -0.1"},
		{"NaN ratio", middleware.BudgetConfig{Ratio: math.NaN()}, "ratio NaN"},
		{"infinite floor", middleware.BudgetConfig{MinPerSecond: math.Inf(1)}, "MinPerSecond +Inf"},
		{"negative tokens", middleware.BudgetConfig{MaxTokens: -1}, "MaxTokens -1"},
		{"less than one token", middleware.BudgetConfig{MaxTokens: 0.5}, "MaxTokens 0.5"},
		{"negative burst", middleware.BudgetConfig{FloorBurst: -2}, "FloorBurst -2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := middleware.NewBudget(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewBudget: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestRetryConfigRejectsBudgetAndNoBudget(t *testing.T) {
	b, err := middleware.NewBudget(middleware.BudgetConfig{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = middleware.Retry(middleware.RetryConfig{Budget: b, NoBudget: true})
	if err == nil || !strings.Contains(err.Error(), "NoBudget") {
		t.Errorf("Retry: got %v, want an error naming Budget and NoBudget", err)
	}
}

func TestRetryScheduleSpendsNoTokenPastDeadline(t *testing.T) {
	budget, err := middleware.NewBudget(middleware.BudgetConfig{MinPerSecond: 1})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := middleware.Retry(middleware.RetryConfig{Budget: budget})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	a := attemptWithRetryAfter(503)
	a.CallContext = ctx

	if _, err := mw.Schedule(a); !errors.Is(err, middleware.ErrDeadlineTooClose) {
		t.Fatalf("Schedule: got %v, want ErrDeadlineTooClose", err)
	}
	if !budget.Withdraw() {
		t.Error("budget: the floor's only token was spent on a retry that never happened")
	}
}
