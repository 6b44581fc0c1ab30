//! ELF loader: maps a static guest executable and builds its initial stack.
