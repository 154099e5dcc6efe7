"""BitMoD-style bit-serial matrix-vector unit: per-group mixture of datatypes, weights
taken bit-serially, each group's partial sum scaled by shift-and-add."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import data, wiring

from accelgen.bitserial_config import BitSerialConfig

from .banks import pick
from .bit_plane_dots import BitPlaneDots
from .bitmod_decoder import CodeDecoder, datatype_info, datatype_info_layout, mantissa_layout
from .bitserial_layouts import activation_layout, input_layouts, output_layouts, result_layout
from .credit_fifo import result_fifo
from .pipeline import data_register, taps
from .serial_scaler import SerialScaler
from .streams import stream_signature
from .vector_buffer import VectorBuffer


class BitSerialUnit(wiring.Component):
    """y = W·x for BitMoD-quantized W streamed in, one vector x held on chip per job.

    A job is a vector on ``activations`` (ceil(cols/lanes) beats, ``last`` on the final
    one) and the matrix on ``weights``: for each block of ``pes`` rows, one beat per
    chunk of ``lanes`` columns, in column order; the first beat of each group (every
    group_size/lanes chunks from the row's start) carries each row's datatype selector
    and scale. A row block ends after as many beats as the vector has (or at ``last``,
    which ends the job); its ``result`` beat is round_saturate(Σ_g scale_g · Σ w·x)
    per row. The next vector loads while the current job runs.

    Parameters
    ----------
    config : BitSerialConfig
    """

    def __init__(self, config: BitSerialConfig):
        self._config = config
        super().__init__(stream_signature(input_layouts(config), output_layouts(config)))

    def elaborate(self, platform):
        config = self._config
        m = Module()
        pes, lanes = config.pes, config.lanes
        fifo = result_fifo(m, self.result, result_layout(config),
                           depth=config.result_fifo_depth, max_reserve=1)
        m.submodules.vectors = vectors = VectorBuffer(activation_layout(config),
                                                      config.max_chunks)
        wiring.connect(m, wiring.flipped(self.activations), vectors.vector)

        # --- stage 1: the accepted weight beat, with its group's datatypes and scales --
        info_layout = datatype_info_layout(config)
        # at least two values: a one-chunk row would give a zero-width chunk index
        chunks = range(max(2, config.max_chunks))
        chunk_layout = data.StructLayout({
            "group_first": 1, "group_end": 1, "row_first": 1, "row_end": 1, "last": 1,
            "slot": 1, "chunk": chunks})
        held = Signal(chunk_layout, name="held")
        held_valid = Signal()
        held_codes = data_register(self.weights.payload.codes.shape(), "held_codes")
        held_info = [data_register(info_layout, f"held_info{row}") for row in range(pes)]
        held_scale = data_register(self.weights.payload.scale.shape(), "held_scale")
        group_info = [data_register(info_layout, f"group_info{row}") for row in range(pes)]
        group_scale = data_register(self.weights.payload.scale.shape(), "group_scale")

        use_slot = Signal()
        chunk = Signal(chunks)
        group_chunk = Signal(range(max(2, config.chunks_per_group)))
        row_first = Signal(init=1)
        beat = self.weights.payload
        ready = Signal()              # a register (see below)
        m.d.comb += self.weights.ready.eq(ready)
        accept = self.weights.valid & ready
        row_end = (chunk == vectors.chunks_last[use_slot]) | beat.last
        group_first = group_chunk == 0
        group_end = (group_chunk == config.chunks_per_group - 1) | row_end
        infos = []
        for row in range(pes):
            info = Signal(info_layout, name=f"info{row}")
            m.d.comb += info.eq(Mux(group_first,
                                    datatype_info(m, config, beat.datatype[row], f"new_info{row}"),
                                    group_info[row]))
            infos.append(info)
        with m.If(accept):
            m.d.sync += [
                held.group_first.eq(group_first), held.group_end.eq(group_end),
                held.row_first.eq(row_first), held.row_end.eq(row_end),
                held.last.eq(beat.last), held.slot.eq(use_slot), held.chunk.eq(chunk),
                chunk.eq(Mux(row_end, 0, chunk + 1)),
                group_chunk.eq(Mux(group_end, 0, group_chunk + 1)),
                row_first.eq(row_end | (row_first & ~group_end)),
                held_codes.eq(beat.codes),
                held_scale.eq(Mux(group_first, beat.scale, group_scale)),
                group_scale.eq(Mux(group_first, beat.scale, group_scale)),
            ]
            for row in range(pes):
                m.d.sync += [held_info[row].eq(infos[row]), group_info[row].eq(infos[row])]

        # --- stage 2: the chunk being computed, a step (b bit planes) per cycle --------
        busy = Signal()
        step = Signal(range(config.planes // config.bits_per_cycle))
        first = Signal()
        current = Signal(chunk_layout, name="current")
        current_scale = data_register(held_scale.shape(), "current_scale")
        weights = Signal(data.ArrayLayout(mantissa_layout(config), pes * lanes),
                         name="mantissas", reset_less=True)
        spacing = Signal(range(config.scale_cycles))
        spacing_busy = Signal()               # spacing != 0
        last_step = Signal()                  # step == 0

        def stalled(last_step, group_end, row_end, spacing_busy, can_reserve):
            # a group's last step waits until the dequantizer can take its sum, the
            # row's last step until the result FIFO has room
            return last_step & ((group_end & spacing_busy) | (row_end & ~can_reserve))

        issue = busy & ~stalled(last_step, current.group_end, current.row_end, spacing_busy,
                                fifo.can_reserve)
        move = held_valid & (~busy | (last_step & issue))
        with m.If(issue):
            m.d.sync += first.eq(0)
        current_top = [Signal.like(held_info[row].top, name=f"current_top{row}")
                       for row in range(pes)]
        # the rows compute in lockstep: a chunk takes the steps of its widest datatype
        steps = 0
        for info in held_info:
            steps = steps | info.steps
        top_step = Signal.like(step)
        for index in range(len(steps)):
            with m.If(steps[index]):
                m.d.comb += top_step.eq(index)
        with m.If(move):
            m.d.sync += [first.eq(1), current.eq(held), current_scale.eq(held_scale)]
            m.d.sync += [top.eq(info.top) for top, info in zip(current_top, held_info)]
        for index in range(pes * lanes):
            m.submodules[f"decode{index}"] = decoder = CodeDecoder(config)
            m.d.comb += [decoder.code.eq(held_codes[index]),
                         decoder.info.eq(held_info[index // lanes])]
            with m.If(move):
                m.d.sync += weights[index].eq(decoder.out)
        # The chunk of x is read from block RAM as its weight beat is accepted, and moves
        # into a register with the beat: nothing between the RAM (5.8 ns clock-to-out on
        # ECP5) and that register. The RAM's output holds until the next accept, which
        # is at the earliest in the cycle of this move.
        x = data_register(vectors.data.shape(), "x")
        with m.If(move):
            m.d.sync += x.eq(vectors.data)
        m.d.comb += [vectors.read_en.eq(accept), vectors.read_slot.eq(use_slot),
                     vectors.read_chunk.eq(chunk),
                     vectors.release.eq(move & held.last), vectors.release_slot.eq(held.slot)]
        group_done = issue & last_step & current.group_end
        with m.If(group_done):
            m.d.sync += spacing.eq(config.scale_cycles - 1)
        with m.Elif(spacing_busy):
            m.d.sync += spacing.eq(spacing - 1)

        # `ready` is a register, decided a cycle ahead from the next value of everything
        # it depends on: the port's transfer, which enables the wide beat registers, is
        # then one LUT from flip-flops instead of six LUTs of issue logic (item 4 of
        # issue 14). The control registers take these same next values.
        held_valid_next = accept | (held_valid & ~move)
        busy_next = move | (busy & ~(issue & last_step))
        last_step_next = Mux(move, top_step == 0, Mux(issue, step == 1, last_step))
        spacing_busy_next = group_done | (spacing_busy & (spacing != 1))
        use_slot_next = use_slot ^ (accept & beat.last)
        step_next = Signal.like(step)
        m.d.comb += step_next.eq(Mux(move, top_step, Mux(issue, step - 1, step)))
        m.d.sync += [held_valid.eq(held_valid_next), busy.eq(busy_next), step.eq(step_next),
                     last_step.eq(last_step_next), spacing_busy.eq(spacing_busy_next),
                     use_slot.eq(use_slot_next)]
        # held's beat moves on (or held is empty) in the next cycle, and its slot is full;
        # with this cycle's `move` as the last select, not an input of every term (the
        # D input of `ready` was seven LUTs deep on the UP5K)
        after_move = ~accept | ((top_step == 0) & ~stalled(
            1, held.group_end, held.row_end, spacing_busy_next, fifo.can_reserve_next))
        last_step_kept = Mux(issue, step == 1, last_step)
        without_move = ~(accept | held_valid) | ~busy | (issue & last_step) | (
            last_step_kept & ~stalled(last_step_kept, current.group_end, current.row_end,
                                      spacing_busy_next, fifo.can_reserve_next))
        room_next = Mux(move, after_move, without_move)
        m.d.sync += ready.eq(pick(use_slot_next, [vectors.full_next[0], vectors.full_next[1]]) &
                             room_next)
        m.d.comb += fifo.reserve.eq(issue & last_step & current.row_end)

        # --- the datapath: bit planes, trees, chunk and group sums, then the scales ----
        m.submodules.dots = dots = BitPlaneDots(config)
        # the step and the tops of the next cycle (BitPlaneDots registers its plane index)
        for row in range(pes):
            m.d.comb += dots.next_top[row].eq(Mux(move, held_info[row].top, current_top[row]))
        m.d.comb += dots.next_step.eq(step_next)
        m.d.comb += [dots.weights.eq(weights), dots.x.eq(x),
                     dots.valid.eq(issue), dots.first.eq(first), dots.last.eq(last_step),
                     dots.group_first.eq(current.group_first),
                     dots.group_end.eq(current.group_end)]
        group = Signal(data.StructLayout({"row_first": 1, "row_end": 1, "last": 1,
                                          "scale": current_scale.shape()}))
        m.d.comb += [group.row_first.eq(current.row_first), group.row_end.eq(current.row_end),
                     group.last.eq(current.last), group.scale.eq(current_scale)]
        at_done = taps(m, group, config.dot_stages, name="group", reset_less=True)[-1]
        m.submodules.scaler = scaler = SerialScaler(config)
        m.d.comb += [scaler.start.eq(dots.done), scaler.clear.eq(at_done.row_first),
                     scaler.finish.eq(at_done.row_end), scaler.last.eq(at_done.last),
                     scaler.sums.eq(dots.sums), scaler.scales.eq(at_done.scale),
                     fifo.w_en.eq(scaler.done), fifo.w_data.y.eq(scaler.y),
                     fifo.w_data.last.eq(scaler.y_last)]
        return m


def bitserial_unit(config: BitSerialConfig) -> BitSerialUnit:
    return BitSerialUnit(config)
