import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiProvider } from './api/context.js';
import { QueryProvider } from './api/queries.js';
import { App } from './App.js';
import { ToastProvider } from './components/Toasts.js';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiProvider>
      <QueryProvider>
        <ToastProvider>
          <App />
        </ToastProvider>
      </QueryProvider>
    </ApiProvider>
  </StrictMode>,
);
