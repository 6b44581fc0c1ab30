/* SQLite workload for perf/bench.sh: `sqlbench N` builds an in-memory database of N orders
 * (inserts inside one transaction, an index), then runs joins, aggregates, an ORDER BY and
 * updates, printing each result so that outputs can be compared. Single-threaded: SQLite is
 * compiled with SQLITE_THREADSAFE=0 by perf/setup.sh. */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static sqlite3 *db;

static void exec(const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "sqlbench: %s: %s\n", sql, err);
    exit(1);
  }
}

static int print_row(void *unused, int n, char **vals, char **names) {
  (void)unused;
  (void)names;
  for (int i = 0; i < n; i++) printf("%s%s", i ? "|" : "", vals[i] ? vals[i] : "NULL");
  printf("\n");
  return 0;
}

static void query(const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, print_row, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "sqlbench: %s: %s\n", sql, err);
    exit(1);
  }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10000;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
  exec("CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT, region INTEGER);"
       "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, amount REAL, item TEXT);");
  sqlite3_stmt *ins;
  exec("BEGIN");
  sqlite3_prepare_v2(db, "INSERT INTO customer VALUES(?, ?, ?)", -1, &ins, NULL);
  for (int i = 0; i < n / 10 + 1; i++) {
    char name[32];
    snprintf(name, sizeof name, "customer%05d", (i * 7919) % 100000);
    sqlite3_bind_int(ins, 1, i);
    sqlite3_bind_text(ins, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(ins, 3, i % 13);
    sqlite3_step(ins);
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  sqlite3_prepare_v2(db, "INSERT INTO orders VALUES(?, ?, ?, ?)", -1, &ins, NULL);
  unsigned seed = 12345;
  for (int i = 0; i < n; i++) {
    char item[32];
    seed = seed * 1103515245u + 12345u;
    snprintf(item, sizeof item, "item-%u", (seed >> 8) % 997);
    sqlite3_bind_int(ins, 1, i);
    sqlite3_bind_int(ins, 2, (int)((seed >> 4) % (unsigned)(n / 10 + 1)));
    sqlite3_bind_double(ins, 3, (double)((seed >> 12) % 100000) / 100.0);
    sqlite3_bind_text(ins, 4, item, -1, SQLITE_TRANSIENT);
    sqlite3_step(ins);
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  exec("COMMIT; CREATE INDEX orders_customer ON orders(customer);");
  query("SELECT count(*), round(sum(amount), 2), round(avg(amount), 4) FROM orders;");
  query("SELECT c.region, count(*), round(sum(o.amount), 2) FROM orders o JOIN customer c "
        "ON o.customer = c.id GROUP BY c.region ORDER BY c.region;");
  query("SELECT item, count(*) AS k FROM orders GROUP BY item ORDER BY k DESC, item LIMIT 5;");
  query("SELECT c.name, round(sum(o.amount), 2) AS t FROM customer c JOIN orders o "
        "ON o.customer = c.id GROUP BY c.id ORDER BY t DESC LIMIT 5;");
  exec("UPDATE orders SET amount = amount * 1.1 WHERE item LIKE 'item-1%';");
  query("SELECT round(sum(amount), 2) FROM orders WHERE customer % 3 = 0;");
  sqlite3_close(db);
  return 0;
}
