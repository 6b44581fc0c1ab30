-- Lua workload for perf/bench.sh: `luarun bench.lua N` runs integer recursion, string
-- building and pattern matching, table sorting and a floating-point loop, scaled by N.
local n = tonumber(arg[1]) or 1

local function fib(k) if k < 2 then return k end return fib(k - 1) + fib(k - 2) end
print("fib", fib(22 + n // 4))

local seed = 42
local function rand() seed = (seed * 1103515245 + 12345) % 2147483648; return seed end
local t = {}
for i = 1, 60000 * n do t[i] = rand() % 1000003 end
table.sort(t)
local s = 0
for i = 1, #t, 97 do s = (s * 31 + t[i]) % 1000000007 end
print("sort", #t, s)

local parts = {}
for i = 1, 20000 * n do parts[#parts + 1] = string.format("k%d=%x", i, rand() % 65536) end
local text = table.concat(parts, ";")
local hits, sum = 0, 0
for k, v in text:gmatch("k(%d+)=(%x+)") do
  if #v == 4 then hits = hits + 1; sum = (sum + tonumber(k)) % 1000000007 end
end
print("strings", #text, hits, sum)

local x, y, acc = 0.0, 0.0, 0.0
for i = 1, 300000 * n do
  x = x + 0.001
  y = math.sin(x) * math.sqrt(x + 1.0)
  acc = acc + y / (1.0 + x * x)
end
print("float", string.format("%.6f", acc))
