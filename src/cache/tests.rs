//! Range invalidation: which blocks a changed guest range drops, and what the cache forgets.

use super::*;

fn entry(code: usize, guest_len: u32) -> BlockEntry {
    BlockEntry { code: HostCode(code), guest_len, guest_insns: 1, host_len: 16, chained_into: false }
}

fn map_of(blocks: &[(u64, u32)]) -> BlockMap {
    let mut map = BlockMap::default();
    for (i, &(pc, len)) in blocks.iter().enumerate() {
        map.insert(GuestAddr(pc), entry(0x1000 + 0x100 * i, len));
    }
    map
}

fn pcs(removed: &[(GuestAddr, BlockEntry)]) -> Vec<u64> {
    let mut pcs: Vec<u64> = removed.iter().map(|(pc, _)| pc.0).collect();
    pcs.sort();
    pcs
}

#[test]
fn a_range_drops_the_blocks_it_touches_and_no_others() {
    // Blocks at 0x1000..0x1010, 0x1100..0x1120, 0x2000..0x2004.
    let mut map = map_of(&[(0x1000, 0x10), (0x1100, 0x20), (0x2000, 4)]);
    let removed = map.remove_overlapping(&(0x1110..0x1111));
    assert_eq!(pcs(&removed), [0x1100]);
    assert_eq!(map.len(), 2);
    assert!(map.get(GuestAddr(0x1000)).is_some() && map.get(GuestAddr(0x2000)).is_some());
}

#[test]
fn a_range_just_past_a_block_drops_it() {
    // The block at 0x1000 ended at 0x1010, possibly because the instruction there could not
    // be translated: new bytes there may translate differently.
    let mut map = map_of(&[(0x1000, 0x10)]);
    assert_eq!(pcs(&map.remove_overlapping(&(0x1010 + LOOKAHEAD..0x3000))), [] as [u64; 0]);
    assert_eq!(pcs(&map.remove_overlapping(&(0x1010..0x1011))), [0x1000]);
    assert!(map.is_empty());
}

#[test]
fn ranges_before_and_after_a_block_leave_it() {
    let mut map = map_of(&[(0x1000, 0x10)]);
    assert!(map.remove_overlapping(&(0..0x1000)).is_empty());
    assert!(map.remove_overlapping(&(0x1000..0x1000)).is_empty(), "an empty range");
    assert!(map.remove_overlapping(&(0x2000..u64::MAX)).is_empty());
    assert_eq!(pcs(&map.remove_overlapping(&(0..u64::MAX))), [0x1000]);
}

#[test]
fn chained_into_is_recorded_and_returned_with_the_block() {
    let mut map = map_of(&[(0x1000, 0x10), (0x1100, 0x10)]);
    map.mark_chained_into(GuestAddr(0x1100));
    let removed = map.remove_overlapping(&(0x1000..0x1200));
    let chained: Vec<bool> = {
        let mut r = removed.clone();
        r.sort_by_key(|(pc, _)| pc.0);
        r.iter().map(|(_, e)| e.chained_into).collect()
    };
    assert_eq!(chained, [false, true]);
}

#[test]
fn retired_blocks_leave_the_jump_table_and_move_the_generation() {
    let mut cache = CodeCache::new(1 << 16).unwrap();
    let mut map = BlockMap::default();
    let a = cache.append(&[0xc3; 4]).unwrap();
    let b = cache.append(&[0xc3; 4]).unwrap();
    for (pc, code) in [(0x1000, a), (0x2000, b)] {
        map.insert(GuestAddr(pc), BlockEntry { code, ..entry(0, 4) });
        cache.jump_table_mut().insert(GuestAddr(pc), code);
    }
    let before = cache.generation();
    let removed = map.remove_overlapping(&(0x2000..0x2001));
    cache.retire(&removed);
    assert_eq!(cache.jump_table().get(GuestAddr(0x2000)), None);
    assert_eq!(cache.jump_table().get(GuestAddr(0x1000)), Some(a));
    assert_eq!(cache.generation(), before + 1);
    cache.flush();
    assert_eq!(cache.generation(), before + 2);
    assert_eq!(cache.jump_table().get(GuestAddr(0x1000)), None);
}
