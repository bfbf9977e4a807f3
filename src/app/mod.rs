//! The eframe desktop app.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::model::PriceTable;

/// Open the app window. A stub until the app lands.
pub fn run(file: Option<PathBuf>, _compare: Option<Vec<PathBuf>>, _prices: PriceTable) -> ExitCode {
    let title = match &file {
        Some(f) => format!("Architecture Sandbox — {}", f.display()),
        None => "Architecture Sandbox".to_string(),
    };
    let options = eframe::NativeOptions::default();
    let result = eframe::run_native(
        "Architecture Sandbox",
        options,
        Box::new(move |cc| {
            cc.egui_ctx
                .send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            Ok(Box::new(Stub))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot open the window: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Stub;

impl eframe::App for Stub {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("Architecture Sandbox");
        });
    }
}
