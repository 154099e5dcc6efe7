"""What yosys may assume of our memories."""

# For a memory whose reads never use a word written in the same cycle (banks and vector
# slots that take turns; a FIFO reads only entries written in earlier cycles): yosys
# then needs no read-during-write emulation, which costs a LUT and a flip-flop per
# data bit at the RAM's output (on the ternary unit's 512-bit weight word 512 LUT4,
# on the critical path; 54 LUT4 and 104 flip-flops for a 49-bit result FIFO in iCE40
# block RAM). The post-synthesis regressions run the netlists built this way.
READS_APART_FROM_WRITES = {"no_rw_check": 1}
