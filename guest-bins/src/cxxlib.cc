// libstdc++ beyond exceptions: regex, locale (the classic locale and a custom numpunct facet),
// iostream formatting, filesystem (a scratch directory under the temp directory, created,
// listed and removed) and random (mt19937 with fixed seeds, which the standard specifies
// exactly). Output is deterministic.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <locale>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

static void regexes() {
  std::cout << "-- regex\n";
  const std::string text = "alpha=1, beta=22; gamma=333 delta=x";
  std::regex pair(R"((\w+)=(\d+))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), pair); it != std::sregex_iterator(); ++it)
    std::cout << (*it)[1] << " -> " << std::stoi((*it)[2]) << "\n";
  std::cout << std::regex_replace(text, std::regex(R"(\d+)"), "<$&>") << "\n";
  std::smatch m;
  std::string date = "2024-02-29";
  if (std::regex_match(date, m, std::regex(R"((\d{4})-(\d{2})-(\d{2}))")))
    std::cout << "year " << m[1] << " month " << m[2] << " day " << m[3] << "\n";
  std::cout << "icase: " << std::regex_search("Hello World", std::regex("WORLD", std::regex::icase)) << "\n";
  std::regex words(R"([\s,;]+)");
  std::sregex_token_iterator t(text.begin(), text.end(), words, -1), end;
  std::vector<std::string> parts(t, end);
  std::cout << parts.size() << " parts, last " << parts.back() << "\n";
  try {
    std::regex bad("(unclosed");
  } catch (const std::regex_error &e) {
    std::cout << "regex_error caught, code " << e.code() << "\n";
  }
}

struct Grouping : std::numpunct<char> {
  char do_thousands_sep() const override { return '\''; }
  std::string do_grouping() const override { return "\3"; }
  char do_decimal_point() const override { return ','; }
};

static void locales() {
  std::cout << "-- locale\n";
  std::locale classic = std::locale::classic();
  std::cout << "classic name " << classic.name() << "\n";
  std::ostringstream os;
  os.imbue(std::locale(classic, new Grouping));
  os << 1234567890 << " " << std::fixed << std::setprecision(2) << 9876543.21;
  std::cout << os.str() << "\n";
  const auto &ct = std::use_facet<std::ctype<char>>(classic);
  std::string s = "Mixed Case 123";
  ct.toupper(&s[0], &s[0] + s.size());
  std::cout << s << " isalpha('q') " << std::isalpha('q', classic) << "\n";
  try {
    std::locale named("no_such_locale.UTF-8");
    std::cout << "unexpected locale\n";
  } catch (const std::runtime_error &) {
    std::cout << "unknown named locale throws\n";
  }
}

static void streams() {
  std::cout << "-- iostream\n";
  std::cout << std::hex << std::showbase << 255 << " " << std::oct << 8 << std::dec << std::noshowbase << "\n";
  std::cout << std::setw(8) << std::setfill('*') << 42 << std::setfill(' ') << "|" << std::left << std::setw(6) << "ab"
            << "|\n";
  std::cout << std::scientific << std::setprecision(3) << 6.02214076e23 << " " << std::defaultfloat << 0.1 + 0.2
            << "\n";
  std::istringstream in("17 3.25 word 0x1f");
  int i;
  double d;
  std::string w;
  int h;
  in >> i >> d >> w >> std::hex >> h;
  std::cout << i << " " << d << " " << w << " " << std::dec << h << "\n";
}

static void filesystem() {
  std::cout << "-- filesystem\n";
  fs::path dir = fs::temp_directory_path() / ("xlate-cxxlib-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "sub" / "deeper");
  for (int n = 0; n < 3; n++) std::ofstream(dir / ("file" + std::to_string(n) + ".txt")) << std::string(n * 10 + 1, 'x');
  std::ofstream(dir / "sub" / "deeper" / "leaf.dat") << "leaf";
  std::vector<std::string> names;
  for (const auto &e : fs::recursive_directory_iterator(dir)) {
    std::string rel = fs::relative(e.path(), dir).string();
    names.push_back(rel + (e.is_directory() ? "/" : " " + std::to_string(e.file_size())));
  }
  std::sort(names.begin(), names.end());
  for (const auto &n : names) std::cout << n << "\n";
  fs::rename(dir / "file0.txt", dir / "renamed.txt");
  std::cout << "renamed exists " << fs::exists(dir / "renamed.txt") << ", old exists " << fs::exists(dir / "file0.txt")
            << "\n";
  std::cout << "extension " << fs::path("a/b/c.tar.gz").extension() << " stem " << fs::path("a/b/c.tar.gz").stem()
            << "\n";
  try {
    std::cout << "size " << fs::file_size(dir / "missing") << "\n";
  } catch (const fs::filesystem_error &e) {
    std::cout << "filesystem_error: " << e.code().message() << "\n";
  }
  std::cout << "removed " << fs::remove_all(dir) << " entries\n";
}

static void randoms() {
  std::cout << "-- random\n";
  std::mt19937 gen(20240229);
  for (int i = 0; i < 5; i++) std::cout << gen() << (i < 4 ? " " : "\n");
  std::mt19937_64 gen64(7);
  gen64.discard(9999);
  std::cout << "10000th mt19937_64 " << gen64() << "\n";
  std::mt19937 g2(1);
  std::uniform_int_distribution<int> die(1, 6);
  int counts[7] = {};
  for (int i = 0; i < 6000; i++) counts[die(g2)]++;
  for (int f = 1; f <= 6; f++) std::cout << f << ":" << counts[f] << (f < 6 ? " " : "\n");
  std::vector<int> v(10);
  for (int i = 0; i < 10; i++) v[i] = i;
  std::shuffle(v.begin(), v.end(), std::mt19937(99));
  for (int x : v) std::cout << x;
  std::cout << "\n";
}

int main() {
  regexes();
  locales();
  streams();
  filesystem();
  randoms();
  return 0;
}
