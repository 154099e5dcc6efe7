// Behavioural model of the ECP5 DP16KD (16 kbit true dual-port block RAM, sysMEM EBR)
// for post-synthesis simulation, written from Lattice's "ECP5 and ECP5-5G Memory Usage
// Guide" (FPGA-TN-02204): yosys ships only a black box. The 18,432 bits are 2,048 units of
// 9 bits (a byte and its parity bit); a port of width 1, 2 or 4 reaches the 8 data bits of
// each unit, 9 one unit, 18 two (ADx1..0 their write enables) and 36 four (the pseudo
// dual-port mode: port A writes DIB:DIA, port B reads DOB:DOA; ADx3..0 the enables).
// Every port: clock enable, chip select (CSx == CSDECODE_x), write modes NORMAL (the output
// holds during a write), WRITETHROUGH (it shows the written word) and READBEFOREWRITE (the
// old word), REGMODE NOREG or OUTREG (one more register, enabled by OCEx), a synchronous or
// asynchronous reset of the output (RESETMODE). Modes accelgen's netlists do not use stop
// the simulation rather than simulate them wrongly: inverted control pins, a write during
// reset.
// Copyright (c) accelgen authors; BSD-2-Clause.
module DP16KD(
  input DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
  input ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,
  input CEA, OCEA, CLKA, WEA, RSTA, CSA2, CSA1, CSA0,
  output DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,
  input DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
  input ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,
  input CEB, OCEB, CLKB, WEB, RSTB, CSB2, CSB1, CSB0,
  output DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);
  parameter DATA_WIDTH_A = 18;
  parameter DATA_WIDTH_B = 18;
  parameter REGMODE_A = "NOREG";
  parameter REGMODE_B = "NOREG";
  parameter RESETMODE = "SYNC";
  parameter ASYNC_RESET_RELEASE = "SYNC";
  parameter CSDECODE_A = "0b000";
  parameter CSDECODE_B = "0b000";
  parameter WRITEMODE_A = "NORMAL";
  parameter WRITEMODE_B = "NORMAL";
  parameter CLKAMUX = "CLKA";
  parameter CLKBMUX = "CLKB";
  parameter CEAMUX = "CEA", OCEAMUX = "OCEA", WEAMUX = "WEA", RSTAMUX = "RSTA";
  parameter CEBMUX = "CEB", OCEBMUX = "OCEB", WEBMUX = "WEB", RSTBMUX = "RSTB";
  parameter GSR = "ENABLED";
  parameter INIT_DATA = "STATIC";
  parameter WID = 0;
  parameter INITVAL_00 = 320'h0, INITVAL_01 = 320'h0, INITVAL_02 = 320'h0, INITVAL_03 = 320'h0;
  parameter INITVAL_04 = 320'h0, INITVAL_05 = 320'h0, INITVAL_06 = 320'h0, INITVAL_07 = 320'h0;
  parameter INITVAL_08 = 320'h0, INITVAL_09 = 320'h0, INITVAL_0A = 320'h0, INITVAL_0B = 320'h0;
  parameter INITVAL_0C = 320'h0, INITVAL_0D = 320'h0, INITVAL_0E = 320'h0, INITVAL_0F = 320'h0;
  parameter INITVAL_10 = 320'h0, INITVAL_11 = 320'h0, INITVAL_12 = 320'h0, INITVAL_13 = 320'h0;
  parameter INITVAL_14 = 320'h0, INITVAL_15 = 320'h0, INITVAL_16 = 320'h0, INITVAL_17 = 320'h0;
  parameter INITVAL_18 = 320'h0, INITVAL_19 = 320'h0, INITVAL_1A = 320'h0, INITVAL_1B = 320'h0;
  parameter INITVAL_1C = 320'h0, INITVAL_1D = 320'h0, INITVAL_1E = 320'h0, INITVAL_1F = 320'h0;
  parameter INITVAL_20 = 320'h0, INITVAL_21 = 320'h0, INITVAL_22 = 320'h0, INITVAL_23 = 320'h0;
  parameter INITVAL_24 = 320'h0, INITVAL_25 = 320'h0, INITVAL_26 = 320'h0, INITVAL_27 = 320'h0;
  parameter INITVAL_28 = 320'h0, INITVAL_29 = 320'h0, INITVAL_2A = 320'h0, INITVAL_2B = 320'h0;
  parameter INITVAL_2C = 320'h0, INITVAL_2D = 320'h0, INITVAL_2E = 320'h0, INITVAL_2F = 320'h0;
  parameter INITVAL_30 = 320'h0, INITVAL_31 = 320'h0, INITVAL_32 = 320'h0, INITVAL_33 = 320'h0;
  parameter INITVAL_34 = 320'h0, INITVAL_35 = 320'h0, INITVAL_36 = 320'h0, INITVAL_37 = 320'h0;
  parameter INITVAL_38 = 320'h0, INITVAL_39 = 320'h0, INITVAL_3A = 320'h0, INITVAL_3B = 320'h0;
  parameter INITVAL_3C = 320'h0, INITVAL_3D = 320'h0, INITVAL_3E = 320'h0, INITVAL_3F = 320'h0;

  // the two ports side by side, index 0 = A, 1 = B
  wire [17:0] di [0:1];
  assign di[0] = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
  assign di[1] = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
  wire [13:0] ad [0:1];
  assign ad[0] = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
  assign ad[1] = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
  wire [1:0] clk = {CLKB, CLKA}, ce = {CEB, CEA}, oce = {OCEB, OCEA}, we = {WEB, WEA},
             rst = {RSTB, RSTA};
  wire [1:0] selected = {{CSB2, CSB1, CSB0} == chip(CSDECODE_B),
                          {CSA2, CSA1, CSA0} == chip(CSDECODE_A)};

  function [2:0] chip(input [8*5-1:0] decode);   // "0bxyz" -> xyz
    chip = {decode[16], decode[8], decode[0]};
  endfunction

  function [319:0] initval(input integer index);
    case (index)
      0: initval = INITVAL_00; 1: initval = INITVAL_01; 2: initval = INITVAL_02; 3: initval = INITVAL_03;
      4: initval = INITVAL_04; 5: initval = INITVAL_05; 6: initval = INITVAL_06; 7: initval = INITVAL_07;
      8: initval = INITVAL_08; 9: initval = INITVAL_09; 10: initval = INITVAL_0A; 11: initval = INITVAL_0B;
      12: initval = INITVAL_0C; 13: initval = INITVAL_0D; 14: initval = INITVAL_0E; 15: initval = INITVAL_0F;
      16: initval = INITVAL_10; 17: initval = INITVAL_11; 18: initval = INITVAL_12; 19: initval = INITVAL_13;
      20: initval = INITVAL_14; 21: initval = INITVAL_15; 22: initval = INITVAL_16; 23: initval = INITVAL_17;
      24: initval = INITVAL_18; 25: initval = INITVAL_19; 26: initval = INITVAL_1A; 27: initval = INITVAL_1B;
      28: initval = INITVAL_1C; 29: initval = INITVAL_1D; 30: initval = INITVAL_1E; 31: initval = INITVAL_1F;
      32: initval = INITVAL_20; 33: initval = INITVAL_21; 34: initval = INITVAL_22; 35: initval = INITVAL_23;
      36: initval = INITVAL_24; 37: initval = INITVAL_25; 38: initval = INITVAL_26; 39: initval = INITVAL_27;
      40: initval = INITVAL_28; 41: initval = INITVAL_29; 42: initval = INITVAL_2A; 43: initval = INITVAL_2B;
      44: initval = INITVAL_2C; 45: initval = INITVAL_2D; 46: initval = INITVAL_2E; 47: initval = INITVAL_2F;
      48: initval = INITVAL_30; 49: initval = INITVAL_31; 50: initval = INITVAL_32; 51: initval = INITVAL_33;
      52: initval = INITVAL_34; 53: initval = INITVAL_35; 54: initval = INITVAL_36; 55: initval = INITVAL_37;
      56: initval = INITVAL_38; 57: initval = INITVAL_39; 58: initval = INITVAL_3A; 59: initval = INITVAL_3B;
      60: initval = INITVAL_3C; 61: initval = INITVAL_3D; 62: initval = INITVAL_3E; 63: initval = INITVAL_3F;
      default: initval = 320'h0;
    endcase
  endfunction

  reg [8:0] units [0:2047];
  integer row;
  reg [319:0] block;
  initial begin
    if (CLKAMUX != "CLKA" || CLKBMUX != "CLKB" || CEAMUX != "CEA" || CEBMUX != "CEB" ||
        OCEAMUX != "OCEA" || OCEBMUX != "OCEB" || WEAMUX != "WEA" || WEBMUX != "WEB" ||
        RSTAMUX != "RSTA" || RSTBMUX != "RSTB") begin
      $display("DP16KD model: inverted control pins are not modelled");
      $finish;
    end
    // INITVAL_xx holds rows 16*xx..16*xx+15, each 18 bits in a 20-bit slot
    for (row = 0; row < 1024; row = row + 1) begin
      block = initval(row / 16);
      {units[2 * row + 1], units[2 * row]} = block[(row % 16) * 20 +: 18];
    end
  end

  // how many 9-bit units a port's word spans (narrow words lie within one unit's byte)
  function integer span(input integer width);
    span = width == 36 ? 4 : width == 18 ? 2 : 1;
  endfunction

  function integer first_unit(input integer width, input [13:0] address);
    first_unit = width == 36 ? {address[13:5], 2'b00} : width == 18 ? {address[13:4], 1'b0}
                                                        : address[13:3];
  endfunction

  // the word at `address`, low unit in the low bits
  function [35:0] read_word(input integer width, input [13:0] address);
    integer k;
    reg [8:0] unit;
    begin
      read_word = 0;
      if (width >= 9)
        for (k = 0; k < span(width); k = k + 1)
          read_word[9 * k +: 9] = units[first_unit(width, address) + k];
      else begin
        unit = units[first_unit(width, address)];
        read_word = {28'd0, unit[7:0]} >> (address[2:0] & (8 - width));
        read_word = read_word & ((36'd1 << width) - 1);
      end
    end
  endfunction

  // unit `k` of the word as it is after writing `data` at `address`
  function [8:0] written_unit(input integer width, input [13:0] address, input [35:0] data,
                              input integer k);
    reg [8:0] old, mask;
    integer offset;
    begin
      old = units[first_unit(width, address) + k];
      if (width >= 9)
        written_unit = address[k] || width == 9 ? data[9 * k +: 9] : old;
      else begin
        offset = address[2:0] & (8 - width);
        mask = ((9'd1 << width) - 1) << offset;
        written_unit = (old & ~mask) | ((data[8:0] << offset) & mask);
      end
    end
  endfunction

  reg [35:0] latch [0:1];
  reg [35:0] out [0:1];
  genvar p;
  generate for (p = 0; p < 2; p = p + 1) begin : port
    localparam integer WIDTH = p ? DATA_WIDTH_B : DATA_WIDTH_A;
    localparam [8*15-1:0] MODE = p ? WRITEMODE_B : WRITEMODE_A;
    localparam OUTREG = (p ? REGMODE_B : REGMODE_A) == "OUTREG";
    // a 36-bit port A writes DIB:DIA
    wire [35:0] data = WIDTH == 36 ? {di[1], di[0]} : {18'd0, di[p]};
    reg [35:0] next;
    integer k;
    initial begin latch[p] = 0; out[p] = 0; end
    task step;
      begin
        if (rst[p] && ce[p] && we[p] && selected[p]) begin
          $display("DP16KD model: a write during reset is not modelled");
          $finish;
        end
        if (rst[p]) begin
          latch[p] <= 0;
          out[p] <= 0;
        end else begin
          if (ce[p] && selected[p]) begin
            if (we[p]) begin
              next = 0;
              for (k = 0; k < span(WIDTH); k = k + 1)
                next[9 * k +: 9] = written_unit(WIDTH, ad[p], data, k);
              for (k = 0; k < span(WIDTH); k = k + 1)
                units[first_unit(WIDTH, ad[p]) + k] <= next[9 * k +: 9];
              if (MODE == "WRITETHROUGH")
                latch[p] <= WIDTH >= 9 ? next : data & ((36'd1 << WIDTH) - 1);
              else if (MODE == "READBEFOREWRITE")
                latch[p] <= read_word(WIDTH, ad[p]);
            end else
              latch[p] <= read_word(WIDTH, ad[p]);
          end
          if (OUTREG && oce[p]) out[p] <= latch[p];
        end
      end
    endtask
    if (RESETMODE == "ASYNC") begin : asynchronous
      always @(posedge clk[p], posedge rst[p]) step;
    end else begin : synchronous
      always @(posedge clk[p]) step;
    end
  end endgenerate

  wire [35:0] q_a = REGMODE_A == "OUTREG" ? out[0] : latch[0];
  wire [35:0] q_b = REGMODE_B == "OUTREG" ? out[1] : latch[1];
  // a 36-bit port B reads into DOB:DOA
  assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = DATA_WIDTH_B == 36 ? q_b[17:0] : q_a[17:0];
  assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = DATA_WIDTH_B == 36 ? q_b[35:18] : q_b[17:0];
endmodule
