//! A small function assembler over wasm-encoder: locals are allocated as
//! code is emitted, and branch targets are named by the block that opened
//! them, so emitters never count nesting by hand.

use wasm_encoder::{BlockType, Function, Instruction, MemArg, ValType};

/// An i64 operand: a local, or a constant emitted in place (constants take
/// no local and no instructions of their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    Local(u32),
    Const(i64),
}

/// A block, loop or if that a branch can target.
#[derive(Debug, Clone, Copy)]
pub struct Label(u32);

#[derive(Debug, Default)]
pub struct Asm {
    params: u32,
    locals: Vec<ValType>,
    code: Vec<Instruction<'static>>,
    depth: u32,
}

pub fn mem(offset: u32, align: u32) -> MemArg {
    MemArg {
        offset: u64::from(offset),
        align,
        memory_index: 0,
    }
}

impl Asm {
    pub fn new(params: u32) -> Asm {
        Asm {
            params,
            ..Asm::default()
        }
    }

    pub fn local(&mut self, ty: ValType) -> u32 {
        self.locals.push(ty);
        self.params + u32::try_from(self.locals.len() - 1).unwrap_or(u32::MAX)
    }

    /// Locals allocated so far (the function splits itself before this
    /// reaches WebAssembly's limit; see `LOCALS_PER_FUNCTION`).
    pub fn locals_used(&self) -> usize {
        self.locals.len()
    }

    /// No instruction emitted yet.
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    pub fn i64(&mut self) -> u32 {
        self.local(ValType::I64)
    }

    pub fn i32(&mut self) -> u32 {
        self.local(ValType::I32)
    }

    pub fn op(&mut self, instruction: Instruction<'static>) -> &mut Asm {
        match instruction {
            Instruction::Block(_) | Instruction::Loop(_) | Instruction::If(_) => self.depth += 1,
            Instruction::End => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        self.code.push(instruction);
        self
    }

    pub fn get(&mut self, local: u32) -> &mut Asm {
        self.op(Instruction::LocalGet(local))
    }

    pub fn set(&mut self, local: u32) -> &mut Asm {
        self.op(Instruction::LocalSet(local))
    }

    pub fn i64_const(&mut self, value: i64) -> &mut Asm {
        self.op(Instruction::I64Const(value))
    }

    pub fn i32_const(&mut self, value: i32) -> &mut Asm {
        self.op(Instruction::I32Const(value))
    }

    /// Pushes an operand.
    pub fn val(&mut self, operand: Operand) -> &mut Asm {
        match operand {
            Operand::Local(local) => self.get(local),
            Operand::Const(value) => self.i64_const(value),
        }
    }

    /// Stores an operand at a fixed address.
    pub fn store_val_at(&mut self, address: u32, operand: Operand) -> &mut Asm {
        self.i32_const(0).val(operand).store_i64(address)
    }

    /// Sets an i64 local to a constant.
    pub fn set_i64(&mut self, local: u32, value: i64) -> &mut Asm {
        self.i64_const(value).set(local)
    }

    /// Opens a block and returns its label (a `br` to it jumps past its end).
    pub fn block(&mut self) -> Label {
        self.op(Instruction::Block(BlockType::Empty));
        Label(self.depth)
    }

    /// Opens a loop and returns its label (a `br` to it jumps to its start).
    pub fn loop_(&mut self) -> Label {
        self.op(Instruction::Loop(BlockType::Empty));
        Label(self.depth)
    }

    /// Opens an `if` on the i32 on the stack.
    pub fn if_(&mut self) -> Label {
        self.op(Instruction::If(BlockType::Empty));
        Label(self.depth)
    }

    pub fn else_(&mut self) -> &mut Asm {
        self.op(Instruction::Else)
    }

    pub fn end(&mut self) -> &mut Asm {
        self.op(Instruction::End)
    }

    pub fn br(&mut self, label: Label) -> &mut Asm {
        let relative = self.depth - label.0;
        self.op(Instruction::Br(relative))
    }

    pub fn br_if(&mut self, label: Label) -> &mut Asm {
        let relative = self.depth - label.0;
        self.op(Instruction::BrIf(relative))
    }

    pub fn load_i64(&mut self, offset: u32) -> &mut Asm {
        self.op(Instruction::I64Load(mem(offset, 3)))
    }

    pub fn load_u8(&mut self, offset: u32) -> &mut Asm {
        self.op(Instruction::I64Load8U(mem(offset, 0)))
    }

    pub fn store_i64(&mut self, offset: u32) -> &mut Asm {
        self.op(Instruction::I64Store(mem(offset, 3)))
    }

    pub fn store_u8(&mut self, offset: u32) -> &mut Asm {
        self.op(Instruction::I64Store8(mem(offset, 0)))
    }

    /// Loads the i64 at a fixed address.
    pub fn load_at(&mut self, address: u32) -> &mut Asm {
        self.i32_const(0).load_i64(address)
    }

    /// Stores the i64 in `local` at a fixed address.
    pub fn store_at(&mut self, address: u32, local: u32) -> &mut Asm {
        self.i32_const(0).get(local).store_i64(address)
    }

    pub fn finish(self) -> Function {
        let mut function = Function::new_with_locals_types(self.locals);
        for instruction in &self.code {
            function.instruction(instruction);
        }
        function.instruction(&Instruction::End);
        function
    }
}
