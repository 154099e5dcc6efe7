// Behavioural model of the ECP5 MULT18X18D (18 x 18 multiplier of the sysDSP block) for
// post-synthesis simulation, written from Lattice's "ECP5 and ECP5-5G sysDSP Usage Guide"
// (FPGA-TN-02205): yosys ships only a black box. It covers the multiplier with its input
// registers (A, B and their sign controls), pipeline and output registers, each on one of
// CLK0..3 with CE0..3 and RST0..3 (synchronous or asynchronous reset), and the register
// outputs ROA/ROB. Modes accelgen does not use stop the simulation rather than simulate
// them wrongly: the shift inputs (SOURCEA/SOURCEB), MULT_BYPASS, cascading.
// Copyright (c) accelgen authors; BSD-2-Clause.
module MULT18X18D(
  input A17, A16, A15, A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2, A1, A0, B17, B16, B15, B14, B13, B12, B11, B10, B9, B8, B7, B6, B5, B4, B3, B2, B1, B0, C17, C16, C15, C14, C13, C12, C11, C10, C9, C8, C7, C6, C5, C4, C3, C2, C1, C0, SIGNEDA, SIGNEDB, SOURCEA, SOURCEB, CLK3, CLK2, CLK1, CLK0, CE3, CE2, CE1, CE0, RST3, RST2, RST1, RST0, SRIA17, SRIA16, SRIA15, SRIA14, SRIA13, SRIA12, SRIA11, SRIA10, SRIA9, SRIA8, SRIA7, SRIA6, SRIA5, SRIA4, SRIA3, SRIA2, SRIA1, SRIA0, SRIB17, SRIB16, SRIB15, SRIB14, SRIB13, SRIB12, SRIB11, SRIB10, SRIB9, SRIB8, SRIB7, SRIB6, SRIB5, SRIB4, SRIB3, SRIB2, SRIB1, SRIB0,
  output SROA17, SROA16, SROA15, SROA14, SROA13, SROA12, SROA11, SROA10, SROA9, SROA8, SROA7, SROA6, SROA5, SROA4, SROA3, SROA2, SROA1, SROA0, SROB17, SROB16, SROB15, SROB14, SROB13, SROB12, SROB11, SROB10, SROB9, SROB8, SROB7, SROB6, SROB5, SROB4, SROB3, SROB2, SROB1, SROB0, ROA17, ROA16, ROA15, ROA14, ROA13, ROA12, ROA11, ROA10, ROA9, ROA8, ROA7, ROA6, ROA5, ROA4, ROA3, ROA2, ROA1, ROA0, ROB17, ROB16, ROB15, ROB14, ROB13, ROB12, ROB11, ROB10, ROB9, ROB8, ROB7, ROB6, ROB5, ROB4, ROB3, ROB2, ROB1, ROB0, ROC17, ROC16, ROC15, ROC14, ROC13, ROC12, ROC11, ROC10, ROC9, ROC8, ROC7, ROC6, ROC5, ROC4, ROC3, ROC2, ROC1, ROC0, P35, P34, P33, P32, P31, P30, P29, P28, P27, P26, P25, P24, P23, P22, P21, P20, P19, P18, P17, P16, P15, P14, P13, P12, P11, P10, P9, P8, P7, P6, P5, P4, P3, P2, P1, P0, SIGNEDP
);
  parameter REG_INPUTA_CLK = "NONE";
  parameter REG_INPUTA_CE = "CE0";
  parameter REG_INPUTA_RST = "RST0";
  parameter REG_INPUTB_CLK = "NONE";
  parameter REG_INPUTB_CE = "CE0";
  parameter REG_INPUTB_RST = "RST0";
  parameter REG_INPUTC_CLK = "NONE";
  parameter REG_INPUTC_CE = "CE0";
  parameter REG_INPUTC_RST = "RST0";
  parameter REG_PIPELINE_CLK = "NONE";
  parameter REG_PIPELINE_CE = "CE0";
  parameter REG_PIPELINE_RST = "RST0";
  parameter REG_OUTPUT_CLK = "NONE";
  parameter REG_OUTPUT_CE = "CE0";
  parameter REG_OUTPUT_RST = "RST0";
  parameter CLK0_DIV = "ENABLED";
  parameter CLK1_DIV = "ENABLED";
  parameter CLK2_DIV = "ENABLED";
  parameter CLK3_DIV = "ENABLED";
  parameter HIGHSPEED_CLK = "NONE";
  parameter GSR = "ENABLED";
  parameter CAS_MATCH_REG = "FALSE";
  parameter SOURCEB_MODE = "B_SHIFT";
  parameter MULT_BYPASS = "DISABLED";
  parameter RESETMODE = "SYNC";

  wire [3:0] clk = {CLK3, CLK2, CLK1, CLK0};
  wire [3:0] ce = {CE3, CE2, CE1, CE0};
  wire [3:0] rst = {RST3, RST2, RST1, RST0};
  wire [17:0] a = {A17, A16, A15, A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2, A1, A0};
  wire [17:0] b = {B17, B16, B15, B14, B13, B12, B11, B10, B9, B8, B7, B6, B5, B4, B3, B2, B1, B0};

  // "CLKn" / "CEn" / "RSTn" -> n; "NONE" -> -1 (the register is bypassed)
  function integer index(input [8*4-1:0] name);
    index = name == "NONE" ? -1 : {24'd0, name[7:0]} - 48;   // the digit
  endfunction

  initial begin
    if (MULT_BYPASS != "DISABLED") begin
      $display("MULT18X18D model: MULT_BYPASS=%s is not modelled", MULT_BYPASS);
      $finish;
    end
    if (CAS_MATCH_REG != "FALSE") begin
      $display("MULT18X18D model: CAS_MATCH_REG=%s is not modelled", CAS_MATCH_REG);
      $finish;
    end
  end
  always @(SOURCEA, SOURCEB)
    if (SOURCEA === 1'b1 || SOURCEB === 1'b1) begin
      $display("MULT18X18D model: the shift inputs (SOURCEA/SOURCEB) are not modelled");
      $finish;
    end

  // one optional register stage: d through a register on clock CLK, enable CE, reset RST
  `define MULT18X18D_STAGE(NAME, WIDTH, D, CLK, CE, RST) \
    reg [WIDTH-1:0] NAME``_q = 0; \
    wire [WIDTH-1:0] NAME = index(CLK) < 0 ? (D) : NAME``_q; \
    generate if (index(CLK) >= 0) begin : NAME``_register \
      if (RESETMODE == "ASYNC") begin : NAME``_async \
        always @(posedge clk[index(CLK)], posedge rst[index(RST)]) \
          if (rst[index(RST)]) NAME``_q <= 0; \
          else if (ce[index(CE)]) NAME``_q <= (D); \
      end else begin : NAME``_sync \
        always @(posedge clk[index(CLK)]) \
          if (rst[index(RST)]) NAME``_q <= 0; \
          else if (ce[index(CE)]) NAME``_q <= (D); \
      end \
    end endgenerate

  `MULT18X18D_STAGE(in_a, 19, ({SIGNEDA, a}), REG_INPUTA_CLK, REG_INPUTA_CE, REG_INPUTA_RST)
  `MULT18X18D_STAGE(in_b, 19, ({SIGNEDB, b}), REG_INPUTB_CLK, REG_INPUTB_CE, REG_INPUTB_RST)
  // the operands extended by their sign (signed) or zero: the full 36-bit product
  wire signed [36:0] wide_a = {{19{in_a[18] & in_a[17]}}, in_a[17:0]};
  wire signed [36:0] wide_b = {{19{in_b[18] & in_b[17]}}, in_b[17:0]};
  wire [36:0] product = {in_a[18] | in_b[18], 36'd0} | ((wide_a * wide_b) & 37'h0_F_FFFF_FFFF);
  `MULT18X18D_STAGE(pipelined, 37, product, REG_PIPELINE_CLK, REG_PIPELINE_CE, REG_PIPELINE_RST)
  `MULT18X18D_STAGE(out, 37, pipelined, REG_OUTPUT_CLK, REG_OUTPUT_CE, REG_OUTPUT_RST)
  `undef MULT18X18D_STAGE

  assign {P35, P34, P33, P32, P31, P30, P29, P28, P27, P26, P25, P24, P23, P22, P21, P20, P19, P18, P17, P16, P15, P14, P13, P12, P11, P10, P9, P8, P7, P6, P5, P4, P3, P2, P1, P0} = out[35:0];
  assign SIGNEDP = out[36] & out[35];
  assign {ROA17, ROA16, ROA15, ROA14, ROA13, ROA12, ROA11, ROA10, ROA9, ROA8, ROA7, ROA6, ROA5, ROA4, ROA3, ROA2, ROA1, ROA0} = in_a[17:0];
  assign {ROB17, ROB16, ROB15, ROB14, ROB13, ROB12, ROB11, ROB10, ROB9, ROB8, ROB7, ROB6, ROB5, ROB4, ROB3, ROB2, ROB1, ROB0} = in_b[17:0];
  assign {ROC17, ROC16, ROC15, ROC14, ROC13, ROC12, ROC11, ROC10, ROC9, ROC8, ROC7, ROC6, ROC5, ROC4, ROC3, ROC2, ROC1, ROC0} = {C17, C16, C15, C14, C13, C12, C11, C10, C9, C8, C7, C6, C5, C4, C3, C2, C1, C0};
  assign {SROA17, SROA16, SROA15, SROA14, SROA13, SROA12, SROA11, SROA10, SROA9, SROA8, SROA7, SROA6, SROA5, SROA4, SROA3, SROA2, SROA1, SROA0} = in_a[17:0];
  assign {SROB17, SROB16, SROB15, SROB14, SROB13, SROB12, SROB11, SROB10, SROB9, SROB8, SROB7, SROB6, SROB5, SROB4, SROB3, SROB2, SROB1, SROB0} = in_b[17:0];
endmodule
